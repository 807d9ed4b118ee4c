import { formatDuration, type DoctorCheck } from '@lifeboat/core';
import { mediaS3, versioningOf, type MediaS3 } from './client.js';
import { retentionMs, type S3BucketConfig } from './config.js';

/** What a media bucket's protection rests on, as S3 reports it. */
export interface MediaState {
  versioning: 'Enabled' | 'Suspended' | 'off';
  /** The shortest NoncurrentVersionExpiration of an enabled lifecycle rule (days); absent: none expires them. */
  noncurrentDays?: number;
  /** Enabled replication rules' destination buckets (from their ARNs); absent: no replication configuration. */
  replicatesTo?: string[];
  /** The replica's versioning, when the plan names one. */
  replicaVersioning?: 'Enabled' | 'Suspended' | 'off' | 'unreadable';
  /** All four public access block settings on. */
  publicAccessBlocked: boolean;
}

const DAY = 86_400_000;

/** `undefined` when S3 says the configuration does not exist. */
async function absentAs<T>(p: Promise<T>, codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (codes.includes((err as { name?: string }).name ?? '')) return undefined;
    throw err;
  }
}

export async function readMediaState(s3: MediaS3, config: S3BucketConfig): Promise<MediaState> {
  const { sdk, client } = s3;
  const Bucket = config.bucket;
  const [versioning, lifecycle, replication, pab] = await Promise.all([
    versioningOf(s3, Bucket),
    absentAs(client.send(new sdk.GetBucketLifecycleConfigurationCommand({ Bucket })), ['NoSuchLifecycleConfiguration']),
    absentAs(client.send(new sdk.GetBucketReplicationCommand({ Bucket })), ['ReplicationConfigurationNotFoundError']),
    absentAs(client.send(new sdk.GetPublicAccessBlockCommand({ Bucket })), ['NoSuchPublicAccessBlockConfiguration']),
  ]);
  const days = (lifecycle?.Rules ?? []).filter((r) => r.Status === 'Enabled').flatMap((r) => (r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined ? [r.NoncurrentVersionExpiration.NoncurrentDays] : []));
  const rules = replication?.ReplicationConfiguration?.Rules?.filter((r) => r.Status === 'Enabled');
  const p = pab?.PublicAccessBlockConfiguration;
  const state: MediaState = {
    versioning,
    ...(days.length > 0 ? { noncurrentDays: Math.min(...days) } : {}),
    ...(rules ? { replicatesTo: rules.map((r) => (r.Destination?.Bucket ?? '').replace(/^arn:aws[a-z-]*:s3:::/, '')) } : {}),
    publicAccessBlocked: p?.BlockPublicAcls === true && p.IgnorePublicAcls === true && p.BlockPublicPolicy === true && p.RestrictPublicBuckets === true,
  };
  if (config.replication) {
    const replica = await mediaS3(config, config.replication.region);
    try {
      state.replicaVersioning = await versioningOf(replica, config.replication.bucket).catch(() => 'unreadable' as const);
    } finally {
      replica.client.destroy();
    }
  }
  return state;
}

/** What is wrong with a media bucket's protection, as doctor lines (pure). */
export function mediaFindings(component: string, config: S3BucketConfig, state: MediaState): DoctorCheck[] {
  const check = `media bucket s3://${config.bucket}`;
  const found: DoctorCheck[] = [];
  const retention = retentionMs(config);
  if (state.versioning !== 'Enabled') {
    found.push({ level: 'critical', check, detail: `versioning is ${state.versioning}: overwritten and deleted objects are not kept, so nothing can be restored as of a time; enable it (aws s3api put-bucket-versioning --bucket ${config.bucket} --versioning-configuration Status=Enabled)` });
  }
  if (state.noncurrentDays !== undefined && state.noncurrentDays * DAY < retention) {
    found.push({ level: 'critical', check, detail: `a lifecycle rule expires noncurrent versions after ${state.noncurrentDays} days, before the versionRetention of ${component} (${config.versionRetention}); set NoncurrentDays to at least ${Math.ceil(retention / DAY)}` });
  }
  if (config.replication) {
    const want = config.replication.bucket;
    if (!state.replicatesTo || state.replicatesTo.length === 0) found.push({ level: 'critical', check, detail: `no enabled replication rule, but the plan replicates it to s3://${want} (${config.replication.region})` });
    else if (!state.replicatesTo.includes(want)) found.push({ level: 'warning', check, detail: `replication goes to ${state.replicatesTo.join(', ')}, not to s3://${want} as the plan says` });
    if (state.replicaVersioning !== 'Enabled') found.push({ level: 'critical', check, detail: `the replica s3://${want} has versioning ${state.replicaVersioning ?? 'unknown'}; S3 replicates only into a versioned bucket` });
  }
  if (!state.publicAccessBlocked) found.push({ level: 'warning', check, detail: 'public access is not fully blocked (all four PublicAccessBlock settings); media served publicly should go through a CDN with an origin access identity' });
  if (found.length === 0) {
    found.push({
      level: 'ok',
      check,
      detail: `versioning on; noncurrent versions kept ${state.noncurrentDays === undefined ? 'for ever' : `${state.noncurrentDays} days`} (≥ ${formatDuration(retention)})${config.replication ? `; replicated to s3://${config.replication.bucket}` : ''}; public access blocked`,
    });
  }
  return found;
}
