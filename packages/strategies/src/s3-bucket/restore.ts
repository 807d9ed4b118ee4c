import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { UsageError, formatBytes, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import { actionsFor, emptyTally, tally, type MediaAction, type PlanTally } from './actions.js';
import { applyActions, RestoreJournal } from './apply.js';
import { mediaS3, versioningOf, type MediaS3 } from './client.js';
import type { S3BucketConfig } from './config.js';
import { byKey, listVersions } from './inventory.js';
import { INVENTORY, readInventory } from './backup.js';
import { mediaRequest, type MediaRequest } from './request.js';

/** Archived versions named in the report (all are in the plan file). */
const SHOWN_ARCHIVED = 20;

/** Refuses a bad request (exit 2) and a bucket without versioning before anything is read or changed. */
export async function preflightMedia(ctx: RestoreContext<S3BucketConfig>): Promise<void> {
  const request = mediaRequest(ctx.component, ctx.config, ctx.request);
  const s3 = await mediaS3(ctx.config);
  try {
    const versioning = await versioningOf(s3, ctx.config.bucket);
    if (versioning === 'off') {
      throw new UsageError(`s3://${ctx.config.bucket} has versioning off, so it keeps no earlier versions to restore as of ${request.asOf}; nothing was changed`);
    }
    if (request.target.kind === 'toBucket') {
      const { bucket, toPrefix } = request.target;
      await s3.client.send(new s3.sdk.HeadBucketCommand({ Bucket: bucket })).catch((err: unknown) => {
        throw new UsageError(`--to-bucket ${bucket} cannot be reached (${(err as Error).name}); expected an existing bucket these credentials may write to`);
      });
      // A target that already holds objects (and is not this restore's own, interrupted) needs --yes: copies would land over them.
      if (!ctx.request.yes && !request.dryRun && !existsSync(journalPath(ctx, request))) {
        const held = await s3.client.send(new s3.sdk.ListObjectsV2Command({ Bucket: bucket, ...(toPrefix ? { Prefix: toPrefix } : {}), MaxKeys: 1 }));
        const first = held.Contents?.[0]?.Key;
        if (first !== undefined) {
          throw new UsageError(`s3://${bucket}/${toPrefix} already holds objects (e.g. ${first}); the restore would write over those it shares with the bucket as of ${request.asOf} (objects it does not share are left alone): add --yes, or choose an empty --to-prefix; nothing was changed`);
        }
      }
    }
  } finally {
    s3.client.destroy();
  }
}

/** The plan of a request: every action, with the tally kept as they stream by. */
async function* planActions(s3: MediaS3, config: S3BucketConfig, request: MediaRequest, counts: PlanTally, archived: MediaAction[], signal: AbortSignal): AsyncGenerator<MediaAction> {
  for await (const history of byKey(listVersions(s3, { bucket: config.bucket, ...(request.prefix ? { prefix: request.prefix } : {}), signal }))) {
    counts.keys++;
    for (const action of actionsFor(history, request.time, request.target, config.bucket)) {
      tally(counts, action);
      if (action.action === 'archived' && archived.length < SHOWN_ARCHIVED) archived.push(action);
      yield action;
    }
  }
}

function targetOf(config: S3BucketConfig, request: MediaRequest): string {
  const t = request.target;
  return t.kind === 'toBucket' ? `s3://${t.bucket}/${t.toPrefix}` : `s3://${config.bucket}/${request.prefix} (${t.kind === 'inPlace' ? 'in place' : 'undelete'})`;
}

function summary(counts: PlanTally, request: MediaRequest): string[] {
  const lines = [
    `as of ${request.asOf}: ${counts.keys} keys looked at; ${counts.copy} to copy (${formatBytes(counts.copyBytes)})` +
      (request.target.kind === 'inPlace' ? `, ${counts.delete} to delete (absent then)` : '') +
      (request.target.kind === 'undelete' ? `, ${counts.undelete} delete markers to remove` : ''),
  ];
  if (counts.archived > 0) lines.push(`${counts.archived} versions (${formatBytes(counts.archivedBytes)}) are in GLACIER/DEEP_ARCHIVE and are not copied: thaw them first, then run the restore again`);
  return lines;
}

/**
 * What the checkpoint (the backup restored from) says a restore as of the
 * same time copies: the same keys and bytes as the live listing planned.
 * Meaningful for a time at or before the checkpoint (drills use its time).
 */
async function compareWithCheckpoint(ctx: RestoreContext<S3BucketConfig>, request: MediaRequest, live: PlanTally) {
  const fromCheckpoint = emptyTally();
  const entries = async function* () {
    for await (const v of readInventory(await ctx.open(INVENTORY))) if (v.key.startsWith(request.prefix)) yield v;
  };
  for await (const history of byKey(entries())) {
    fromCheckpoint.keys++;
    for (const a of actionsFor(history, request.time, request.target, ctx.config.bucket)) tally(fromCheckpoint, a);
  }
  return [
    { name: 'keys copied, as the checkpoint lists them', expected: fromCheckpoint.copy, actual: live.copy, ok: fromCheckpoint.copy === live.copy },
    { name: 'bytes copied, as the checkpoint lists them', expected: fromCheckpoint.copyBytes, actual: live.copyBytes, ok: fromCheckpoint.copyBytes === live.copyBytes },
  ];
}

/** Where an interrupted run of this same restore left its journal. */
function journalPath(ctx: RestoreContext<S3BucketConfig>, request: MediaRequest): string {
  const state = ctx.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const id = createHash('sha256').update(JSON.stringify([ctx.config.bucket, request.prefix, request.time, request.target])).digest('hex').slice(0, 16);
  return join(state, 'lifeboat', 'media-restore', `${ctx.component}-${id}.jsonl`);
}

/**
 * Restores the bucket as of a time from its own versions: lists them (one page
 * in memory at a time), chooses each key's version as of then, and either
 * writes the plan (`--dry-run`) or applies it with bounded concurrency,
 * verifying each copy and journaling what is done, so that running it again
 * after an interruption skips it.
 */
export async function restoreMedia(ctx: RestoreContext<S3BucketConfig>): Promise<RestoreOutcome> {
  const { config } = ctx;
  const request = mediaRequest(ctx.component, config, ctx.request);
  const s3 = await mediaS3(config);
  const counts = emptyTally();
  const archived: MediaAction[] = [];
  const target = targetOf(config, request);
  try {
    const actions = planActions(s3, config, request, counts, archived, ctx.signal);
    if (request.dryRun) {
      const file = request.planFile ?? join(tmpdir(), `lifeboat-${ctx.component}-plan-${new Date().toISOString().replace(/[:.]/g, '')}.jsonl`);
      const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
      await once(out, 'open');
      for await (const action of actions) if (!out.write(JSON.stringify(action) + '\n')) await once(out, 'drain');
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const lines = [...summary(counts, request), `dry run: nothing changed; the plan (one JSON line per action) is in ${file}`];
      return { target, checks: [], report: { lines, data: { dryRun: true, asOf: request.asOf, target, planFile: file, ...counts } } };
    }
    const journal = await RestoreJournal.open(journalPath(ctx, request));
    if (journal.resumed > 0) ctx.step(`resuming: ${journal.resumed} actions were done by an earlier run (${journal.path})`);
    const sourceBucket = config.bucket;
    const targetBucket = request.target.kind === 'toBucket' ? request.target.bucket : config.bucket;
    let reported = Date.now();
    const result = await applyActions(s3, actions, {
      sourceBucket,
      targetBucket,
      jobs: request.jobs,
      journal,
      signal: ctx.signal,
      onDone: (_, r) => {
        if (Date.now() - reported < 2000) return;
        reported = Date.now();
        ctx.step(`${r.done} done (${formatBytes(r.bytes)} copied), ${counts.keys} keys looked at so far`);
      },
    });
    await journal.remove();
    const compared = request.compareCheckpoint ? await compareWithCheckpoint(ctx, request, counts) : [];
    for (const a of archived) if (a.action === 'archived') ctx.warn(`${a.key} (version ${a.versionId}) is in ${a.storageClass}: ${a.thaw}`);
    const planned = counts.copy + counts.delete + counts.undelete;
    const lines = [
      ...summary(counts, request),
      `done: ${result.done} actions (${formatBytes(result.bytes)} copied${result.multipart > 0 ? `, ${result.multipart} over 5 GB by multipart copy` : ''})${result.skipped > 0 ? `, ${result.skipped} already done by an earlier run` : ''}; each copy\u2019s size and ETag checked`,
    ];
    return {
      target,
      checks: [{ name: 'actions done and verified', expected: planned, actual: result.done + result.skipped, ok: planned === result.done + result.skipped }, ...compared],
      report: { lines, data: { dryRun: false, asOf: request.asOf, target, ...counts, done: result.done, copiedBytes: result.bytes, resumed: result.skipped, multipart: result.multipart, archivedVersions: archived } },
    };
  } finally {
    s3.client.destroy();
  }
}
