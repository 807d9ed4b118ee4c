import { UsageError, formatDuration, type RestoreOptionValues, type RestoreRequest } from '@lifeboat/core';
import type { MediaTarget } from './actions.js';
import { retentionMs, type S3BucketConfig } from './config.js';
import type { MEDIA_OPTIONS } from './restore-surface.js';

export type MediaRestoreOptions = RestoreOptionValues<typeof MEDIA_OPTIONS>;

/** A media restore request, checked. */
export interface MediaRequest {
  /** `--as-of`, ms. */
  time: number;
  asOf: string;
  target: MediaTarget;
  /** Keys under this prefix only (the plan's prefix when not given). */
  prefix: string;
  dryRun: boolean;
  planFile?: string;
  jobs: number;
  /** Compare the plan with the checkpoint's inventory as of the same time. */
  compareCheckpoint: boolean;
}

export const DEFAULT_JOBS = 16;
const ZONED = /(Z|[+-]\d\d(:?\d\d)?)$/i;

/** `s3://bucket/prefix/` or a bare bucket name, as `--to` takes it. */
function parseTo(to: string): { bucket: string; prefix: string } {
  const m = /^(?:s3:\/\/)?([^/]+)\/?(.*)$/.exec(to);
  if (!m) throw new UsageError(`--to ${to} is not a bucket: give a bucket name or s3://bucket/prefix/`);
  return { bucket: m[1]!, prefix: m[2]! };
}

/**
 * Checks an s3-bucket restore request before anything is read: one sentence
 * naming the flag, the value and what was expected (exit 2).
 */
export function mediaRequest(component: string, config: S3BucketConfig, request: RestoreRequest, now = Date.now()): MediaRequest {
  const o = request.options as MediaRestoreOptions;
  if (o.asOf === undefined) throw new UsageError(`restore of ${component} (s3-bucket) needs --as-of TIME with a zone, e.g. --as-of 2026-02-14T12:00:00Z: each key is restored as it was then`);
  const time = Date.parse(o.asOf);
  if (!ZONED.test(o.asOf.trim()) || !Number.isFinite(time)) throw new UsageError(`--as-of ${o.asOf} is not a time with a zone; expected e.g. 2026-02-14T12:00:00Z or 2026-02-14 12:00:00+02:00`);
  if (time > now) throw new UsageError(`--as-of ${o.asOf} is in the future (now is ${new Date(now).toISOString()}); expected a time in the past`);
  const retention = retentionMs(config);
  if (time < now - retention) {
    throw new UsageError(`--as-of ${o.asOf} is before the ${config.versionRetention} the plan keeps noncurrent versions (versionRetention of ${component}): versions from then may be expired; expected a time after ${new Date(now - retention).toISOString()} (${formatDuration(retention)} ago)`);
  }
  const toBucket = o.toBucket ?? (request.target !== undefined ? parseTo(request.target).bucket : undefined);
  const toPrefix = o.toPrefix ?? (request.target !== undefined ? parseTo(request.target).prefix : undefined);
  if (o.toBucket !== undefined && request.target !== undefined) throw new UsageError('give --to or --to-bucket, not both (they are the same)');
  const modes = [toBucket !== undefined && '--to-bucket', o.inPlace === true && '--in-place', o.undelete === true && '--undelete'].filter(Boolean);
  if (modes.length !== 1) {
    throw new UsageError(
      modes.length === 0
        ? `restore of ${component} needs where to: --to-bucket BUCKET [--to-prefix P] (a copy beside), --in-place --yes (over the live keys) or --undelete --yes (remove the delete markers made after --as-of)`
        : `${modes.join(' and ')} cannot be given together; choose one`,
    );
  }
  if (toPrefix !== undefined && toBucket === undefined) throw new UsageError('--to-prefix needs --to-bucket (the bucket it is a prefix of)');
  const prefix = o.prefix ?? config.prefix ?? '';
  if (config.prefix && !prefix.startsWith(config.prefix)) throw new UsageError(`--prefix ${prefix} is outside the prefix ${config.prefix} the plan protects for ${component}; expected a prefix starting with ${config.prefix}`);
  const dryRun = o.dryRun === true;
  let target: MediaTarget;
  if (toBucket !== undefined) {
    if (toBucket === config.bucket && (toPrefix ?? '') === '') throw new UsageError(`--to-bucket ${toBucket} is the component's own bucket without --to-prefix, which would write over the live keys: use --in-place --yes for that, or give --to-prefix`);
    target = { kind: 'toBucket', bucket: toBucket, toPrefix: toPrefix ?? '' };
  } else target = o.inPlace ? { kind: 'inPlace' } : { kind: 'undelete' };
  if (target.kind !== 'toBucket' && !request.yes && !dryRun) {
    throw new UsageError(`${modes[0]} writes into the live bucket s3://${config.bucket} (new versions and delete markers; earlier versions stay) and needs --yes; review it first with --dry-run`);
  }
  if (o.planFile !== undefined && !dryRun) throw new UsageError('--plan-file goes with --dry-run (it is where the reviewable plan is written)');
  return { time, asOf: new Date(time).toISOString(), target, prefix, dryRun, ...(o.planFile !== undefined ? { planFile: o.planFile } : {}), jobs: o.jobs ?? DEFAULT_JOBS, compareCheckpoint: o.compareCheckpoint === true };
}
