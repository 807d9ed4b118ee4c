/**
 * The difference between what the plan wants of a bucket and what S3 reports
 * (no S3 calls): one sentence per change, and what `applyBucketDiff` puts.
 * Rules that are not Lifeboat's (IDs without `lifeboat-`) are kept as they
 * are, and only said to be there.
 */
import type { LifecycleRule, ReplicationConfiguration, ReplicationRule, TransitionDefaultMinimumObjectSize } from '@aws-sdk/client-s3';
import {
  RULE_ID_PREFIX,
  describeEncryption,
  type DesiredBucket,
  type EncryptionSpec,
  type LifecycleRuleSpec,
  type ObjectLockSpec,
  type ReplicationRuleSpec,
} from './bucket-plan.js';
import type { BucketState } from './bucket-state.js';
import { isArchiveClass } from './s3-lifecycle.js';

/** Settings in the order apply puts them: versioning first, as replication and object lock need it. */
export const BUCKET_SETTINGS = ['versioning', 'encryption', 'publicAccessBlock', 'objectLock', 'lifecycle', 'replication'] as const;
export type BucketSetting = (typeof BUCKET_SETTINGS)[number];

export interface BucketChange {
  setting: BucketSetting;
  sentence: string;
}

/** What apply sends, setting by setting; a setting that is absent stays as it is. */
export interface BucketPuts {
  versioning?: true;
  encryption?: EncryptionSpec;
  publicAccessBlock?: true;
  objectLock?: ObjectLockSpec;
  /** The bucket's whole lifecycle configuration, others' rules included; no rules removes it. */
  lifecycle?: { rules: LifecycleRule[]; minimumObjectSize?: TransitionDefaultMinimumObjectSize };
  /** The whole replication configuration, others' rules included; null removes it. */
  replication?: ReplicationConfiguration | null;
}

export interface BucketDiff {
  bucket: string;
  changes: BucketChange[];
  /** What the bucket needs and apply cannot do, one sentence each. */
  problems: string[];
  notes: string[];
  /** The plan contradicts itself for this bucket: apply puts nothing. */
  blocked: boolean;
  put: BucketPuts;
}

const PUBLIC_ACCESS_BLOCKS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

export function diffBucket(desired: DesiredBucket, actual: BucketState): BucketDiff {
  const url = `s3://${desired.bucket}`;
  const changes: BucketChange[] = [];
  const problems = [...desired.problems];
  const notes: string[] = [];
  const put: BucketPuts = {};
  const change = (setting: BucketSetting, sentence: string) => changes.push({ setting, sentence });

  if (desired.versioning && actual.versioning !== 'Enabled') {
    change('versioning', actual.versioning === 'Suspended' ? 'enable versioning (it is suspended)' : 'enable versioning');
    put.versioning = true;
  }

  const encryption = actual.encryption;
  if (encryption?.algorithm !== desired.encryption.algorithm || encryption.kmsKeyId !== kmsKeyOf(desired.encryption)) {
    change('encryption', `set default encryption to ${describeEncryption(desired.encryption)} (was: ${encryption ? describeEncryption(encryption) : 'none'})`);
    put.encryption = desired.encryption;
  }

  if (desired.blockPublicAccess) {
    const on = PUBLIC_ACCESS_BLOCKS.filter((name) => actual.publicAccessBlock?.[name] === true);
    if (on.length < PUBLIC_ACCESS_BLOCKS.length) {
      change('publicAccessBlock', `block all public access (was: ${on.length === 0 ? 'none blocked' : `only ${on.join(', ')}`})`);
      put.publicAccessBlock = true;
    }
  }

  if (desired.objectLock !== undefined) {
    const lock = actual.objectLock;
    const wanted = `${desired.objectLock.mode} for ${desired.objectLock.days} days`;
    if (lock?.enabled !== true) {
      problems.push(
        `${url} has no object lock, which objectLock (${wanted}) needs; S3 turns it on when a bucket is created ` +
          '(create-bucket --object-lock-enabled-for-bucket), or for good on a versioned one, so Lifeboat leaves that to you',
      );
    } else if (lock.mode !== desired.objectLock.mode || lock.days !== desired.objectLock.days || lock.years !== undefined) {
      const was = lock.mode === undefined ? 'none' : `${lock.mode} for ${lock.days !== undefined ? `${lock.days} days` : `${lock.years} years`}`;
      change('objectLock', `set object lock default retention to ${wanted} (was: ${was})`);
      put.objectLock = desired.objectLock;
    }
  }

  diffLifecycle(desired, actual, { change, problems, notes, put });
  diffReplication(desired, actual, { change, problems, notes, put });

  const blocked = desired.problems.length > 0;
  return { bucket: desired.bucket, changes, problems, notes, blocked, put: blocked ? {} : put };
}

interface Collect {
  change: (setting: BucketSetting, sentence: string) => void;
  problems: string[];
  notes: string[];
  put: BucketPuts;
}

function diffLifecycle(desired: DesiredBucket, actual: BucketState, { change, problems, notes, put }: Collect): void {
  const ours = actual.lifecycle.filter(isLifeboatRule);
  const theirs = actual.lifecycle.filter((rule) => !isLifeboatRule(rule));
  let changed = false;
  for (const spec of desired.lifecycle) {
    const existing = ours.find((rule) => rule.ID === spec.id);
    const wanted: LifecycleRuleView = { ...spec, enabled: true, other: [] };
    if (existing === undefined) {
      change('lifecycle', `set lifecycle rule ${spec.id}: ${describeLifecycleRule(wanted)}`);
      changed = true;
    } else {
      const seen = lifecycleView(existing);
      if (canonical(seen) !== canonical(wanted)) {
        change('lifecycle', `set lifecycle rule ${spec.id}: ${describeLifecycleRule(wanted)} (was: ${describeLifecycleRule(seen)})`);
        changed = true;
      }
    }
  }
  for (const rule of ours) {
    if (!desired.lifecycle.some((spec) => spec.id === rule.ID)) {
      change('lifecycle', `remove lifecycle rule ${rule.ID}, which the plan no longer has`);
      changed = true;
    }
  }
  for (const rule of theirs) {
    const view = lifecycleView(rule);
    const name = JSON.stringify(rule.ID ?? '(no ID)');
    const harm = catalogHarm(view, desired.keyPrefixes);
    if (harm !== undefined) {
      problems.push(
        `s3://${desired.bucket}: lifecycle rule ${name} is not Lifeboat's and ${harm}, manifests and the run journal included, ` +
          'so Lifeboat could lose its catalog; remove it and let the plan\'s lifecycle (scope: artifacts) replace it',
      );
    } else {
      notes.push(`keeps lifecycle rule ${name}, which is not Lifeboat's: ${describeLifecycleRule(view)}`);
    }
  }
  if (changed) {
    put.lifecycle = {
      rules: [...theirs, ...desired.lifecycle.map(lifecycleRuleOf)],
      ...(actual.lifecycleMinimumObjectSize !== undefined && { minimumObjectSize: actual.lifecycleMinimumObjectSize }),
    };
  }
}

function diffReplication(desired: DesiredBucket, actual: BucketState, { change, problems, notes, put }: Collect): void {
  const rules = actual.replication?.Rules ?? [];
  const ours = rules.filter(isLifeboatRule);
  const theirs = rules.filter((rule) => !isLifeboatRule(rule));
  const role = actual.replication?.Role;
  for (const rule of theirs) notes.push(`keeps replication rule ${JSON.stringify(rule.ID ?? '(no ID)')}, which is not Lifeboat's: ${describeReplicationRule(replicationView(rule))}`);

  const wanted = desired.replication;
  let changed = false;
  if (wanted === undefined) {
    for (const rule of ours) {
      change('replication', `stop replicating to ${replicationView(rule).bucket} (rule ${rule.ID}), which the plan no longer has`);
      changed = true;
    }
    if (changed) put.replication = theirs.length === 0 ? null : { Role: role, Rules: theirs };
    return;
  }

  if (theirs.length > 0 && role !== undefined && role !== wanted.roleArn) {
    problems.push(
      `s3://${desired.bucket} replicates with role ${role} for rules that are not Lifeboat's, and S3 allows one role per bucket; ` +
        `set replication.roleArn to it, or move those rules to ${wanted.roleArn}`,
    );
    return;
  }
  if (role !== wanted.roleArn && ours.length > 0) {
    change('replication', `replicate with role ${wanted.roleArn} (was: ${role ?? 'none'})`);
    changed = true;
  }
  for (const spec of wanted.rules) {
    const existing = ours.find((rule) => rule.ID === spec.id);
    const view: ReplicationRuleView = { ...spec, enabled: true, deleteMarkers: true, other: [] };
    const sentence = `replicate to ${spec.bucket}${spec.region === undefined ? '' : ` in ${spec.region}`} (${describeReplicationRule(view, wanted.roleArn)})`;
    if (existing === undefined) {
      change('replication', sentence);
      changed = true;
    } else {
      const seen = replicationView(existing);
      // The region is the plan's word for people; S3 keeps only the bucket.
      if (canonical({ ...seen, region: undefined }) !== canonical({ ...view, region: undefined })) {
        change('replication', `${sentence} (was: to ${seen.bucket}, ${describeReplicationRule(seen)})`);
        changed = true;
      }
    }
  }
  for (const rule of ours) {
    if (!wanted.rules.some((spec) => spec.id === rule.ID)) {
      change('replication', `stop replicating to ${replicationView(rule).bucket} (rule ${rule.ID}), which the plan no longer has`);
      changed = true;
    }
  }
  if (changed) {
    const partition = /^arn:([^:]+):/.exec(wanted.roleArn)?.[1] ?? 'aws';
    const taken = Math.max(0, ...theirs.map((rule) => rule.Priority ?? 0));
    put.replication = {
      Role: wanted.roleArn,
      Rules: [...theirs, ...wanted.rules.map((spec, i) => replicationRuleOf(spec, taken + i + 1, partition))],
    };
  }
}

/** A lifecycle rule as Lifeboat reads it; `other` names what it has that Lifeboat never writes. */
type LifecycleRuleView = LifecycleRuleSpec & { enabled: boolean; other: string[] };

function lifecycleView(rule: LifecycleRule): LifecycleRuleView {
  const filter = rule.Filter;
  const tags = filter?.And?.Tags ?? (filter?.Tag !== undefined ? [filter.Tag] : []);
  const other: string[] = [];
  if (tags.length > 1) other.push(`tags ${tags.slice(1).map((t) => `${t.Key}=${t.Value}`).join(', ')}`);
  const greater = filter?.ObjectSizeGreaterThan ?? filter?.And?.ObjectSizeGreaterThan;
  const less = filter?.ObjectSizeLessThan ?? filter?.And?.ObjectSizeLessThan;
  if (greater !== undefined) other.push(`objects larger than ${greater} bytes`);
  if (less !== undefined) other.push(`objects smaller than ${less} bytes`);
  const transitions = (rule.Transitions ?? []).flatMap((t) => {
    if (t.Days !== undefined) return [{ days: t.Days, storageClass: String(t.StorageClass) }];
    other.push(`${t.StorageClass} on ${t.Date?.toISOString().slice(0, 10)}`);
    return [];
  });
  if (rule.Expiration?.Date !== undefined) other.push(`expire on ${rule.Expiration.Date.toISOString().slice(0, 10)}`);
  for (const t of rule.NoncurrentVersionTransitions ?? []) other.push(`noncurrent versions to ${t.StorageClass} at ${t.NoncurrentDays} days`);
  if (rule.NoncurrentVersionExpiration?.NewerNoncurrentVersions !== undefined) {
    other.push(`keep ${rule.NoncurrentVersionExpiration.NewerNoncurrentVersions} newer noncurrent versions`);
  }
  const tag = tags[0];
  return {
    id: rule.ID ?? '',
    enabled: rule.Status === 'Enabled',
    prefix: filter?.And?.Prefix ?? filter?.Prefix ?? rule.Prefix ?? '',
    ...(tag !== undefined && { tag: { key: tag.Key ?? '', value: tag.Value ?? '' } }),
    transitions,
    ...(rule.Expiration?.Days !== undefined && { expirationDays: rule.Expiration.Days }),
    ...(rule.Expiration?.ExpiredObjectDeleteMarker === true && { expiredObjectDeleteMarker: true }),
    ...(rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined && { noncurrentExpirationDays: rule.NoncurrentVersionExpiration.NoncurrentDays }),
    ...(rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined && {
      abortIncompleteUploadDays: rule.AbortIncompleteMultipartUpload.DaysAfterInitiation,
    }),
    other,
  };
}

/** The S3 rule for a spec. S3 wants a tag and a prefix together inside `And`. */
export function lifecycleRuleOf(spec: LifecycleRuleSpec): LifecycleRule {
  const tag = spec.tag && { Key: spec.tag.key, Value: spec.tag.value };
  return {
    ID: spec.id,
    Status: 'Enabled',
    Filter: tag === undefined ? { Prefix: spec.prefix } : spec.prefix === '' ? { Tag: tag } : { And: { Prefix: spec.prefix, Tags: [tag] } },
    ...(spec.transitions.length > 0 && {
      Transitions: spec.transitions.map((t) => ({ Days: t.days, StorageClass: t.storageClass as NonNullable<LifecycleRule['Transitions']>[number]['StorageClass'] })),
    }),
    ...((spec.expirationDays !== undefined || spec.expiredObjectDeleteMarker === true) && {
      Expiration: spec.expirationDays !== undefined ? { Days: spec.expirationDays } : { ExpiredObjectDeleteMarker: true },
    }),
    ...(spec.noncurrentExpirationDays !== undefined && { NoncurrentVersionExpiration: { NoncurrentDays: spec.noncurrentExpirationDays } }),
    ...(spec.abortIncompleteUploadDays !== undefined && { AbortIncompleteMultipartUpload: { DaysAfterInitiation: spec.abortIncompleteUploadDays } }),
  };
}

/** `STANDARD_IA at 30 days, GLACIER at 90, expire at 2555 (objects tagged lifeboat-kind=artifact)`. */
export function describeLifecycleRule(rule: LifecycleRuleView): string {
  const actions = [
    ...rule.transitions.map((t, i) => `${t.storageClass} at ${t.days}${i === 0 ? ' days' : ''}`),
    ...(rule.expirationDays !== undefined ? [`expire at ${rule.expirationDays}${rule.transitions.length === 0 ? ' days' : ''}`] : []),
    ...(rule.noncurrentExpirationDays !== undefined ? [`delete noncurrent versions after ${rule.noncurrentExpirationDays} days`] : []),
    ...(rule.expiredObjectDeleteMarker === true ? ['remove expired delete markers'] : []),
    ...(rule.abortIncompleteUploadDays !== undefined ? [`abort incomplete multipart uploads after ${rule.abortIncompleteUploadDays} days`] : []),
    ...rule.other,
  ];
  const under = rule.prefix === '' ? '' : ` under ${rule.prefix}`;
  const objects = rule.tag === undefined ? `every object${under}` : `objects tagged ${rule.tag.key}=${rule.tag.value}${under}`;
  return `${actions.length === 0 ? 'nothing' : actions.join(', ')} (${objects}${rule.enabled ? '' : '; disabled'})`;
}

/** What a rule that is not Lifeboat's does to the catalog, if it archives or expires it. */
function catalogHarm(rule: LifecycleRuleView, keyPrefixes: string[]): string | undefined {
  if (!rule.enabled || rule.tag !== undefined) return undefined;
  const reaches = keyPrefixes.filter((prefix) => prefix.startsWith(rule.prefix) || rule.prefix.startsWith(prefix));
  if (reaches.length === 0) return undefined;
  const archives = rule.transitions.filter((t) => isArchiveClass(t.storageClass));
  const expires = rule.expirationDays !== undefined || rule.other.some((o) => o.startsWith('expire on'));
  if (archives.length === 0 && !expires) return undefined;
  const where = reaches.map((p) => (p === '' ? 'in the bucket' : `under ${p}`)).join(' and ');
  return `${[
    ...(archives.length > 0 ? [`moves every object ${where} to ${archives.map((t) => `${t.storageClass} (day ${t.days})`).join(' and ')}`] : []),
    ...(expires ? [`${archives.length > 0 ? 'deletes it' : `deletes every object ${where}`}${rule.expirationDays !== undefined ? ` at day ${rule.expirationDays}` : ''}`] : []),
  ].join(' and ')}`;
}

type ReplicationRuleView = ReplicationRuleSpec & { enabled: boolean; deleteMarkers: boolean; other: string[] };

function replicationView(rule: ReplicationRule): ReplicationRuleView {
  const other: string[] = [];
  const filter = rule.Filter;
  if (filter?.Tag !== undefined || filter?.And?.Tags !== undefined) other.push('a tag filter');
  if (rule.ExistingObjectReplication?.Status === 'Enabled') other.push('existing objects');
  if (rule.Destination?.ReplicationTime?.Status === 'Enabled') other.push('replication time control');
  if (rule.Destination?.Account !== undefined) other.push(`account ${rule.Destination.Account}`);
  const kmsKey = rule.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID;
  const sseKms = rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === 'Enabled';
  if (sseKms !== (kmsKey !== undefined)) other.push(sseKms ? 'KMS-encrypted objects without a replica key' : 'a replica key but not KMS-encrypted objects');
  return {
    id: rule.ID ?? '',
    enabled: rule.Status === 'Enabled',
    prefix: filter?.And?.Prefix ?? filter?.Prefix ?? rule.Prefix ?? '',
    bucket: (rule.Destination?.Bucket ?? '').replace(/^arn:[^:]+:s3:::/, ''),
    ...(rule.Destination?.StorageClass !== undefined && { storageClass: rule.Destination.StorageClass }),
    ...(kmsKey !== undefined && { replicaKmsKeyId: kmsKey }),
    deleteMarkers: rule.DeleteMarkerReplication?.Status === 'Enabled',
    other,
  };
}

/**
 * The S3 rule for a spec. Deletions (prune's delete markers) replicate too, so
 * the replica's catalog matches; with versioning on the replica, what was
 * deleted stays there as noncurrent versions until its own lifecycle says.
 */
export function replicationRuleOf(spec: ReplicationRuleSpec, priority: number, partition: string): ReplicationRule {
  return {
    ID: spec.id,
    Priority: priority,
    Status: 'Enabled',
    Filter: { Prefix: spec.prefix },
    DeleteMarkerReplication: { Status: 'Enabled' },
    Destination: {
      Bucket: `arn:${partition}:s3:::${spec.bucket}`,
      ...(spec.storageClass !== undefined && { StorageClass: spec.storageClass as NonNullable<ReplicationRule['Destination']>['StorageClass'] }),
      ...(spec.replicaKmsKeyId !== undefined && { EncryptionConfiguration: { ReplicaKmsKeyID: spec.replicaKmsKeyId } }),
    },
    ...(spec.replicaKmsKeyId !== undefined && { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } } }),
  };
}

function describeReplicationRule(rule: ReplicationRuleView, roleArn?: string): string {
  return [
    rule.prefix === '' ? 'every object' : `objects under ${rule.prefix}`,
    ...(rule.storageClass !== undefined ? [`as ${rule.storageClass}`] : []),
    ...(rule.replicaKmsKeyId !== undefined ? [`replicas encrypted with ${rule.replicaKmsKeyId}`] : []),
    ...(rule.deleteMarkers ? [] : ['deletions not replicated']),
    ...rule.other,
    ...(rule.enabled ? [] : ['disabled']),
    ...(roleArn !== undefined ? [`role ${roleArn}`] : []),
  ].join(', ');
}

function isLifeboatRule(rule: { ID?: string | undefined }): boolean {
  return rule.ID?.startsWith(RULE_ID_PREFIX) === true;
}

function kmsKeyOf(encryption: EncryptionSpec): string | undefined {
  return encryption.algorithm === 'aws:kms' ? encryption.kmsKeyId : undefined;
}

/** JSON with sorted keys and without undefined, for comparing views. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
