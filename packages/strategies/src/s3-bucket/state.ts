import { bucketShortfalls, describeError, formatDuration, observeBucket, type BucketRequirement, type DoctorCheck, type ObservedBucket } from '@lifeboat/core';
import { mediaS3, type MediaS3 } from './client.js';
import { retentionMs, type S3BucketConfig } from './config.js';

const DAY = 86_400_000;

/**
 * The buckets a media component relies on and what must stay true of them
 * (`Strategy.buckets`: s3 check and s3 apply; doctor and status through
 * `mediaFindings`): the replica first, whose versioning S3 needs before a
 * rule may replicate into it, then the bucket itself.
 */
export function mediaRequirements(component: string, config: S3BucketConfig): BucketRequirement[] {
  const endpoint = config.endpoint !== undefined ? { endpoint: config.endpoint } : {};
  const r = config.replication;
  const replica: BucketRequirement[] = r ? [{ component, role: 'media replica', bucket: r.bucket, region: r.region, ...endpoint, versioning: true, prefix: '', blockPublicAccess: false }] : [];
  return [
    ...replica,
    {
      component,
      role: 'media bucket',
      bucket: config.bucket,
      region: config.region,
      ...endpoint,
      versioning: true,
      keepNoncurrentDays: Math.ceil(retentionMs(config) / DAY),
      keepNoncurrentReason: `the versionRetention of ${component} (${config.versionRetention}) keeps them`,
      prefix: config.prefix ?? '',
      ...(r ? { replication: { bucket: r.bucket, region: r.region, ...(r.roleArn !== undefined ? { roleArn: r.roleArn } : {}) } } : {}),
      // Parsed plans have the default; a config built by hand (tests) may not.
      blockPublicAccess: config.blockPublicAccess !== false,
      ...(config.objectLock ? { objectLock: config.objectLock } : {}),
    },
  ];
}

/** `undefined` when S3 says the configuration does not exist. */
async function absentAs<T>(p: Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (codes.includes((err as { name?: string }).name ?? '')) return undefined;
    throw err;
  }
}

/** Reads what `req` covers of its bucket (Get* calls only). */
export async function observeRequirement({ sdk, client }: MediaS3, req: BucketRequirement): Promise<ObservedBucket> {
  const Bucket = req.bucket;
  const skip = Promise.resolve(undefined);
  const [versioning, lifecycle, replication, pab, lock] = await Promise.all([
    client.send(new sdk.GetBucketVersioningCommand({ Bucket })),
    req.keepNoncurrentDays !== undefined ? absentAs(client.send(new sdk.GetBucketLifecycleConfigurationCommand({ Bucket })), ['NoSuchLifecycleConfiguration']) : skip,
    req.replication ? absentAs(client.send(new sdk.GetBucketReplicationCommand({ Bucket })), ['ReplicationConfigurationNotFoundError']) : skip,
    req.blockPublicAccess ? absentAs(client.send(new sdk.GetPublicAccessBlockCommand({ Bucket })), ['NoSuchPublicAccessBlockConfiguration']) : skip,
    req.objectLock ? absentAs(client.send(new sdk.GetObjectLockConfigurationCommand({ Bucket })), ['ObjectLockConfigurationNotFoundError']) : skip,
  ]);
  return observeBucket(req, {
    versioning,
    ...(lifecycle?.Rules ? { lifecycleRules: lifecycle.Rules } : {}),
    ...(replication?.ReplicationConfiguration ? { replication: replication.ReplicationConfiguration } : {}),
    ...(pab?.PublicAccessBlockConfiguration ? { publicAccessBlock: pab.PublicAccessBlockConfiguration } : {}),
    ...(lock?.ObjectLockConfiguration ? { objectLock: lock.ObjectLockConfiguration } : {}),
  });
}

/** One requirement and what was found; `error` when another bucket (the replica) could not be read. */
export interface MediaReading {
  requirement: BucketRequirement;
  observed?: ObservedBucket;
  error?: string;
}

/** Reads each bucket the component relies on; the component's own bucket failing to answer rejects. */
export async function readMedia(s3: MediaS3, component: string, config: S3BucketConfig): Promise<MediaReading[]> {
  return Promise.all(
    mediaRequirements(component, config).map(async (requirement): Promise<MediaReading> => {
      if (requirement.bucket === config.bucket) return { requirement, observed: await observeRequirement(s3, requirement) };
      const other = requirement.region === config.region ? undefined : await mediaS3(config, requirement.region);
      try {
        return { requirement, observed: await observeRequirement(other ?? s3, requirement) };
      } catch (err) {
        return { requirement, error: describeError(err) };
      } finally {
        other?.client.destroy();
      }
    }),
  );
}

/** What a media bucket's protection rests on, as S3 reports it (status's fields). */
export interface MediaState {
  versioning: 'Enabled' | 'Suspended' | 'off';
  /** The shortest NoncurrentVersionExpiration of an enabled lifecycle rule (days); absent: none expires them. */
  noncurrentDays?: number;
  /** Enabled replication rules' destination buckets; absent: no replication configuration (or none in the plan). */
  replicatesTo?: string[];
  /** The replica's versioning, when the plan names one. */
  replicaVersioning?: 'Enabled' | 'Suspended' | 'off' | 'unreadable';
  /** All four public access block settings on; absent when the plan leaves public access alone. */
  publicAccessBlocked?: boolean;
}

export function mediaState(config: S3BucketConfig, readings: MediaReading[]): MediaState {
  const own = readings.find((r) => r.requirement.bucket === config.bucket)!.observed!;
  const replica = readings.find((r) => r.requirement.bucket !== config.bucket);
  const days = (own.lifecycle ?? []).filter((r) => r.enabled && r.noncurrentDays !== undefined).map((r) => r.noncurrentDays!);
  const lower = (v: ObservedBucket['versioning']) => (v === 'Off' ? 'off' : v);
  return {
    versioning: lower(own.versioning),
    ...(days.length > 0 ? { noncurrentDays: Math.min(...days) } : {}),
    ...(own.replication ? { replicatesTo: own.replication.rules.filter((r) => r.enabled).map((r) => r.bucket) } : {}),
    ...(replica ? { replicaVersioning: replica.observed ? lower(replica.observed.versioning) : 'unreadable' } : {}),
    ...(own.publicAccessBlocked !== undefined ? { publicAccessBlocked: own.publicAccessBlocked } : {}),
  };
}

/** What is wrong with a media component's buckets, as doctor lines (pure): the shortfalls s3 check reports, and what s3 apply would do. */
export function mediaFindings(config: S3BucketConfig, readings: MediaReading[]): DoctorCheck[] {
  const found: DoctorCheck[] = [];
  for (const { requirement: req, observed, error } of readings) {
    const check = `${req.role} s3://${req.bucket}`;
    if (observed === undefined) {
      found.push({ level: 'critical', check, detail: `cannot read its configuration: ${error ?? 'no answer'}` });
      continue;
    }
    const shortfalls = bucketShortfalls(req, observed);
    for (const s of shortfalls) found.push({ level: s.level, check, detail: `${s.problem}; ${s.change !== undefined ? `lifeboat s3 apply will ${s.change}` : s.remedy}` });
    if (shortfalls.length > 0) continue;
    if (req.bucket !== config.bucket) {
      found.push({ level: 'ok', check, detail: `versioning on (replicas of s3://${config.bucket} land here)` });
      continue;
    }
    const state = mediaState(config, readings);
    found.push({
      level: 'ok',
      check,
      detail:
        `versioning on; noncurrent versions kept ${state.noncurrentDays === undefined ? 'for ever' : `${state.noncurrentDays} days`} (≥ ${formatDuration(retentionMs(config))})` +
        `${config.replication ? `; replicated to s3://${config.replication.bucket}` : ''}${req.blockPublicAccess ? '; public access blocked' : ''}${req.objectLock ? `; object lock ${req.objectLock.mode} ≥ ${req.objectLock.days} days` : ''}`,
    });
  }
  return found;
}
