/**
 * What a bucket should look like, from the plan alone (no S3 calls): the
 * configuration `lifeboat s3 apply` makes and `lifeboat s3 check` checks.
 *
 * Lifeboat owns only the lifecycle and replication rules whose ID starts with
 * `lifeboat-`; other rules in the bucket are kept as they are. Versioning and
 * public access are only ever turned on: `false` in the plan leaves them to
 * whoever owns the bucket, as suspending versioning or opening a bucket is not
 * a decision for a backup tool.
 */
import type { LifecyclePolicy } from '@lifeboat/core';
import { ARTIFACT_TAG } from './artifact-tag.js';
import type { S3Config } from './s3-type.js';

/** Parts of an interrupted multipart upload are billed until aborted. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;
/** How long an overwritten or deleted object stays recoverable, unless the plan says `keepNoncurrentDays`. */
export const DEFAULT_NONCURRENT_DAYS = 30;
/** Rules Lifeboat writes, and so may change or remove, have IDs with this prefix. */
export const RULE_ID_PREFIX = 'lifeboat-';

export interface LifecycleRuleSpec {
  id: string;
  /** Key prefix the rule is limited to; `''` for the whole bucket. */
  prefix: string;
  /** Only objects with this tag (`lifeboat-kind=artifact` for `scope: artifacts`). */
  tag?: { key: string; value: string };
  transitions: Array<{ days: number; storageClass: string }>;
  expirationDays?: number;
  /** Remove delete markers once no noncurrent version is left behind them. */
  expiredObjectDeleteMarker?: boolean;
  noncurrentExpirationDays?: number;
  abortIncompleteUploadDays?: number;
}

export interface ReplicationRuleSpec {
  id: string;
  /** Key prefix that is replicated; `''` for the whole bucket. */
  prefix: string;
  /** The replica bucket's name. */
  bucket: string;
  /** The replica bucket's region as the plan says it, for people (S3's configuration holds only the bucket). */
  region?: string;
  storageClass?: string;
  /** KMS key for replicas of objects encrypted with aws:kms (S3 skips those objects without one). */
  replicaKmsKeyId?: string;
}

export type EncryptionSpec = { algorithm: 'AES256' } | { algorithm: 'aws:kms'; kmsKeyId: string };

export interface ObjectLockSpec {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  days: number;
}

export interface DesiredBucket {
  bucket: string;
  /** How to reach it: from the first destination in it. */
  connection: { region: string; endpoint?: string; forcePathStyle?: boolean };
  /** The plan's destinations in this bucket. */
  destinations: string[];
  /** Their key prefixes (`civicq/prod/`, `''` for the bucket's root). */
  keyPrefixes: string[];
  /** true: versioning must be Enabled; false: left as it is. */
  versioning: boolean;
  /** true: all four public access blocks on; false: left as they are. */
  blockPublicAccess: boolean;
  encryption: EncryptionSpec;
  /** Default retention; only where the bucket was created with object lock. */
  objectLock?: ObjectLockSpec;
  /** Lifeboat's lifecycle rules (IDs `lifeboat-…`). */
  lifecycle: LifecycleRuleSpec[];
  replication?: { roleArn: string; rules: ReplicationRuleSpec[] };
  /** Contradictions in the plan for this bucket, one sentence each; apply changes nothing in a bucket with any. */
  problems: string[];
}

export interface BucketDestination {
  name: string;
  config: S3Config;
}

/** A `lifecycle:` entry of the plan (keyed by this bucket or one of its destinations). */
export interface BucketLifecycle {
  key: string;
  policy: LifecyclePolicy;
}

/** The desired configuration of the bucket that `destinations` (at least one, all in the same bucket) share. */
export function desiredBucket(destinations: BucketDestination[], lifecycle: BucketLifecycle[] = []): DesiredBucket {
  const first = destinations[0];
  if (first === undefined) throw new Error('desiredBucket needs at least one destination');
  const { bucket } = first.config;
  const problems: string[] = [];
  const settings = <T>(what: string, pick: (d: BucketDestination) => T | undefined, show: (value: T) => string): T | undefined =>
    agreed(destinations, pick, show, (sentence) => problems.push(`s3://${bucket}: ${what} ${sentence}`));

  const connection = {
    region: first.config.region,
    ...(first.config.endpoint !== undefined && { endpoint: first.config.endpoint }),
    ...(first.config.forcePathStyle !== undefined && { forcePathStyle: first.config.forcePathStyle }),
  };
  settings('region', (d) => d.config.region, String);

  // One setting per bucket: destinations sharing it must agree. `false` only leaves things alone, so `true` wins.
  const versioning = destinations.some((d) => d.config.versioning !== false);
  const blockPublicAccess = destinations.some((d) => d.config.blockPublicAccess !== false);
  const encryption = settings('default encryption', encryptionOf, describeEncryption) ?? { algorithm: 'AES256' };
  const objectLock = settings('object lock', (d) => d.config.objectLock, (lock) => `${lock.mode} for ${lock.days} days`);
  const roleArn = settings('replication role', (d) => d.config.replication?.roleArn, String);

  const replicated = destinations.filter((d) => d.config.replication !== undefined);
  const replicationRules = replicated.map((d): ReplicationRuleSpec => {
    const r = d.config.replication!;
    return {
      id: replicated.length === 1 ? `${RULE_ID_PREFIX}replication` : `${RULE_ID_PREFIX}replication-${d.name}`,
      prefix: keyPrefix(d.config.prefix),
      bucket: r.bucket,
      region: r.region,
      ...(r.storageClass !== undefined && { storageClass: r.storageClass }),
      ...(r.kmsKeyId !== undefined && { replicaKmsKeyId: r.kmsKeyId }),
    };
  });
  for (const d of replicated) {
    const r = d.config.replication!;
    if (!versioning) {
      problems.push(`destination '${d.name}': replication needs versioning, which versioning: false leaves off; S3 replicates only from versioned buckets`);
    }
    if (r.bucket === bucket) problems.push(`destination '${d.name}': replication.bucket is ${bucket} itself; name another bucket, in another region`);
    const kms = encryption.algorithm === 'aws:kms' || d.config.sse === 'aws:kms';
    if (kms && r.kmsKeyId === undefined) {
      problems.push(
        `destination '${d.name}': objects are encrypted with aws:kms, which S3 replicates only with replication.kmsKeyId, a KMS key in ${r.region} for the replicas`,
      );
    }
  }

  return {
    bucket,
    connection,
    destinations: destinations.map((d) => d.name),
    keyPrefixes: [...new Set(destinations.map((d) => keyPrefix(d.config.prefix)))],
    versioning,
    blockPublicAccess,
    encryption,
    ...(objectLock !== undefined && { objectLock }),
    lifecycle: [...policyRules(lifecycle), ...cleanupRules(destinations)],
    ...(roleArn !== undefined && replicationRules.length > 0 && { replication: { roleArn, rules: replicationRules } }),
    problems,
  };
}

/** The plan's `lifecycle:` entries as S3 rules: tiers and expiration, filtered on the artifact tag for `scope: artifacts`. */
function policyRules(lifecycle: BucketLifecycle[]): LifecycleRuleSpec[] {
  // Two entries can reach one bucket (its name and a destination's); keep each once.
  const unique = lifecycle.filter((entry, i) => lifecycle.findIndex((other) => sameJson(other.policy, entry.policy)) === i);
  return unique.map(({ key, policy }) => {
    const scope = policy.scope === 'artifacts' ? 'artifacts' : 'bucket';
    return {
      id: unique.length === 1 ? `${RULE_ID_PREFIX}${scope}` : `${RULE_ID_PREFIX}${scope}-${key}`,
      prefix: policy.prefix ?? '',
      ...(policy.scope === 'artifacts' && { tag: { key: ARTIFACT_TAG.key, value: ARTIFACT_TAG.value } }),
      transitions: policy.transitions.map((t) => ({ days: t.days, storageClass: t.class })),
      ...(policy.expireDays !== undefined && { expirationDays: policy.expireDays }),
    };
  });
}

/**
 * Housekeeping under each destination's prefix: abort interrupted uploads,
 * and let overwritten or deleted objects go after `keepNoncurrentDays` (with
 * versioning, a prune only hides them behind a delete marker). S3 allows
 * neither action in a rule with a tag filter, hence a rule of its own.
 */
function cleanupRules(destinations: BucketDestination[]): LifecycleRuleSpec[] {
  const byPrefix = new Map<string, number>();
  for (const d of destinations) {
    const prefix = keyPrefix(d.config.prefix);
    const days = d.config.keepNoncurrentDays ?? DEFAULT_NONCURRENT_DAYS;
    byPrefix.set(prefix, Math.max(days, byPrefix.get(prefix) ?? 0));
  }
  // A destination at the bucket's root covers every other prefix.
  const root = byPrefix.get('');
  const entries = root !== undefined ? [['', Math.max(root, ...byPrefix.values())] as const] : [...byPrefix].sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([prefix, days]) => ({
    id: entries.length === 1 ? `${RULE_ID_PREFIX}cleanup` : `${RULE_ID_PREFIX}cleanup-${prefix.replace(/\/$/, '')}`,
    prefix,
    transitions: [],
    expiredObjectDeleteMarker: true,
    noncurrentExpirationDays: days,
    abortIncompleteUploadDays: ABORT_INCOMPLETE_UPLOAD_DAYS,
  }));
}

/** A destination's `prefix` as an S3 key prefix: `civicq/prod/`, or `''` for the bucket's root. */
export function keyPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The default encryption a destination asks for: its own setting, else its `sse` with KMS; none (AES256 will do) otherwise. */
function encryptionOf(d: BucketDestination): EncryptionSpec | undefined {
  const set = d.config.defaultEncryption;
  if (set === 'AES256' || set?.algorithm === 'AES256') return { algorithm: 'AES256' };
  if (set?.algorithm === 'aws:kms') return { algorithm: 'aws:kms', kmsKeyId: set.kmsKeyId };
  if (d.config.sse === 'aws:kms' && d.config.kmsKeyId !== undefined) return { algorithm: 'aws:kms', kmsKeyId: d.config.kmsKeyId };
  return undefined;
}

export function describeEncryption(encryption: { algorithm: string; kmsKeyId?: string }): string {
  return encryption.kmsKeyId === undefined ? encryption.algorithm : `${encryption.algorithm} with key ${encryption.kmsKeyId}`;
}

/** The one value destinations set (those that set none agree with anything), or a problem naming who wants what. */
function agreed<T>(
  destinations: BucketDestination[],
  pick: (d: BucketDestination) => T | undefined,
  show: (value: T) => string,
  problem: (sentence: string) => void,
): T | undefined {
  const values = destinations.flatMap((d) => {
    const value = pick(d);
    return value === undefined ? [] : [{ name: d.name, value }];
  });
  const distinct = values.filter((v, i) => values.findIndex((w) => sameJson(w.value, v.value)) === i);
  if (distinct.length > 1) {
    problem(`differs between destinations that share the bucket: ${distinct.map((v) => `'${v.name}' has ${show(v.value)}`).join(', ')}; a bucket has one`);
  }
  return distinct[0]?.value;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
