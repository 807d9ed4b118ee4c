import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { LifeboatError, ReadBackUnavailableError, formatBytes, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { mediaS3, versioningOf } from './client.js';
import type { S3BucketConfig } from './config.js';
import { listVersions, type VersionEntry } from './inventory.js';
import { INVENTORY } from './names.js';

export { INVENTORY };
export const INVENTORY_FORMAT = 'JSON lines, one S3 object version or delete marker each (gunzip | jq)';

/** What a media checkpoint records in its manifest. */
export interface MediaFacts extends SourceFacts {
  bucket: string;
  prefix: string;
  versioning: string;
  /** When the listing started: the checkpoint holds every version made before it. */
  checkpointAt: string;
  /** Versions and delete markers listed. */
  versions: number;
  deleteMarkers: number;
  /** Keys whose latest entry is an object, and their bytes. */
  liveKeys: number;
  liveBytes: number;
  /** Bytes of every version (what versioning keeps). */
  allBytes: number;
  /** The newest LastModified seen, if any. */
  newest?: string;
  /** The newest live versions (up to 20): where status samples replication. */
  newestVersions: { key: string; versionId: string; lastModified: string }[];
}

/** How many of the newest versions a checkpoint names for status to sample. */
export const SAMPLED = 20;

/** Keeps the `SAMPLED` newest of what it is shown, in constant memory. */
function keepNewest(kept: MediaFacts['newestVersions'], v: VersionEntry): void {
  if (kept.length === SAMPLED && v.lastModified <= kept[kept.length - 1]!.lastModified) return;
  let i = kept.findIndex((k) => k.lastModified < v.lastModified);
  if (i < 0) i = kept.length;
  kept.splice(i, 0, { key: v.key, versionId: v.versionId, lastModified: v.lastModified });
  if (kept.length > SAMPLED) kept.pop();
}

const BATCH = 64 * 1024;

/**
 * A checkpoint: the bucket's versions as listed now (key, versionId, size,
 * ETag, storage class, last-modified, isLatest, deleteMarker), streamed as
 * gzip JSON lines through the pipeline to every destination — one listing
 * page in memory at a time. A bucket without versioning is refused: it
 * keeps no earlier versions to restore.
 */
export async function backupMedia(ctx: BackupContext<S3BucketConfig>): Promise<MediaFacts> {
  const { config } = ctx;
  const s3 = await mediaS3(config);
  try {
    const versioning = await versioningOf(s3, config.bucket);
    if (versioning !== 'Enabled') {
      throw new LifeboatError(
        `s3://${config.bucket} has versioning ${versioning === 'off' ? 'off' : 'suspended'}, so it keeps no earlier versions to restore from; turn it on (lifeboat s3 apply, or aws s3api put-bucket-versioning --bucket ${config.bucket} --versioning-configuration Status=Enabled) and back up again`,
      );
    }
    const facts: MediaFacts = { bucket: config.bucket, prefix: config.prefix ?? '', versioning, checkpointAt: new Date().toISOString(), versions: 0, deleteMarkers: 0, liveKeys: 0, liveBytes: 0, allBytes: 0, newestVersions: [] };
    ctx.step(`listing every version of s3://${config.bucket}/${config.prefix ?? ''} (checkpoint at ${facts.checkpointAt})`);
    const count = (v: VersionEntry) => {
      facts.versions++;
      if (v.deleteMarker) facts.deleteMarkers++;
      else {
        facts.allBytes += v.size;
        if (v.isLatest) {
          facts.liveKeys++;
          facts.liveBytes += v.size;
          keepNewest(facts.newestVersions, v);
        }
      }
      if (facts.newest === undefined || v.lastModified > facts.newest) facts.newest = v.lastModified;
    };
    const lines = async function* () {
      let batch = '';
      for await (const v of listVersions(s3, { bucket: config.bucket, ...(config.prefix ? { prefix: config.prefix } : {}), signal: ctx.signal })) {
        count(v);
        batch += JSON.stringify(v) + '\n';
        if (batch.length >= BATCH) {
          yield batch;
          batch = '';
        }
      }
      if (batch) yield batch;
    };
    const stored = await ctx.storeArtifact(INVENTORY, Readable.from(lines(), { objectMode: false }), { format: INVENTORY_FORMAT, compress: true });
    ctx.step(`${facts.versions} versions (${facts.deleteMarkers} delete markers), ${facts.liveKeys} live keys (${formatBytes(facts.liveBytes)}); ${INVENTORY}: ${formatBytes(stored.bytes)}`);
    try {
      const read = await countLines(await ctx.readArtifact(INVENTORY));
      if (read !== facts.versions) throw new LifeboatError(`${INVENTORY} read back holds ${read} versions, not the ${facts.versions} listed`);
      ctx.step(`${INVENTORY} read back: ${read} lines, sha256 ok`);
    } catch (err) {
      if (!(err instanceof ReadBackUnavailableError)) throw err;
      ctx.step(`${INVENTORY} not re-read (${err.message})`);
    }
    return facts;
  } finally {
    s3.client.destroy();
  }
}

async function countLines(stream: Readable): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line !== '') n++;
  return n;
}

/** Reads a checkpoint's lines back (for drills and checks). */
export async function* readInventory(stream: Readable): AsyncGenerator<VersionEntry> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line !== '') yield JSON.parse(line) as VersionEntry;
}
