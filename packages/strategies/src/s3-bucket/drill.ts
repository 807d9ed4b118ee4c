import { UsageError, type DrillTarget, type StrategyContext } from '@lifeboat/core';
import { mediaS3, type MediaS3 } from './client.js';
import type { S3BucketConfig } from './config.js';
import { listVersions } from './inventory.js';
import type { MediaFacts } from './backup.js';
import { DRILL_PREFIX } from './names.js';

export { DRILL_PREFIX };

/**
 * A drill restores the bucket as of the drilled checkpoint into a scratch
 * prefix of the same bucket (`drill.target: ephemeral`), checks each copy and
 * that the copies are what the checkpoint says was live then, and deletes
 * every version under the scratch prefix afterwards.
 */
export async function prepareMediaDrill(ctx: StrategyContext<S3BucketConfig>, target: string): Promise<DrillTarget> {
  if (target !== 'ephemeral') throw new UsageError(`components.${ctx.component}.drill.target for an s3-bucket component is ephemeral (a scratch prefix ${DRILL_PREFIX}… of its bucket); got ${target}`);
  const facts = ('manifest' in ctx ? (ctx.manifest as { facts: MediaFacts }).facts : undefined) ?? undefined;
  const asOf = facts?.checkpointAt ?? new Date(Date.now() - 3_600_000).toISOString();
  const scratch = `${DRILL_PREFIX}${ctx.component}-${new Date().toISOString().replace(/[-:.]/g, '')}/`;
  return {
    request: { clean: false, yes: false, options: { asOf, toBucket: ctx.config.bucket, toPrefix: scratch, compareCheckpoint: true } },
    env: {},
    description: `s3://${ctx.config.bucket}/${scratch} (scratch, as of ${asOf})`,
    cleanup: async () => {
      const s3 = await mediaS3(ctx.config);
      try {
        await deleteEveryVersion(s3, ctx.config.bucket, scratch);
      } finally {
        s3.client.destroy();
      }
    },
  };
}

/** Deletes every version and delete marker under `prefix` for good (scratch copies only). */
export async function deleteEveryVersion(s3: MediaS3, bucket: string, prefix: string): Promise<number> {
  if (!prefix.startsWith(DRILL_PREFIX)) throw new Error(`refusing to delete versions outside ${DRILL_PREFIX}: ${prefix}`);
  let batch: { Key: string; VersionId: string }[] = [];
  let deleted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const out = await s3.client.send(new s3.sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    if (out.Errors && out.Errors.length > 0) throw new Error(`could not delete ${out.Errors.length} scratch versions under s3://${bucket}/${prefix}: ${out.Errors[0]!.Code}`);
    deleted += batch.length;
    batch = [];
  };
  // Listing first, deleting after: deleting while paging would move the markers.
  const all: { Key: string; VersionId: string }[] = [];
  for await (const v of listVersions(s3, { bucket, prefix })) all.push({ Key: v.key, VersionId: v.versionId });
  for (const item of all) {
    batch.push(item);
    if (batch.length === 1000) await flush();
  }
  await flush();
  return deleted;
}
