/**
 * A bucket a component relies on outside the plan's destinations — a media
 * bucket that is its own backup through versioning, and its replica — and
 * what must stay true of it. A kind declares them (`Strategy.buckets`);
 * `lifeboat s3 check` checks them, `lifeboat s3 apply` makes them true, and
 * the kind's doctor and status report them, all through `bucketShortfalls`,
 * so the four never disagree. Pure: the readers (storage's for s3 apply, the
 * kind's own) turn S3's answers into an `ObservedBucket` with `observeBucket`.
 */

export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface BucketRequirement {
  /** The component that relies on it. */
  component: string;
  /** What the bucket is to the component, for messages: `media bucket`, `media replica`. */
  role: string;
  bucket: string;
  region: string;
  /** S3-compatible stores and the tests' fake (path-style addressing then). */
  endpoint?: string;
  /** Versioning must be Enabled. */
  versioning: boolean;
  /** Noncurrent versions must stay at least this many days: an enabled lifecycle rule expiring them sooner is a problem (never shortened, never removed). */
  keepNoncurrentDays?: number;
  /** Where `keepNoncurrentDays` comes from, for messages: `the versionRetention of media (90d)`. */
  keepNoncurrentReason?: string;
  /** Keys the component protects (`''`: the whole bucket): rules filtered elsewhere do not touch them. */
  prefix: string;
  /** An enabled replication rule must copy `prefix` to this bucket. */
  replication?: { bucket: string; region: string; roleArn?: string };
  /** All four public access block settings on. */
  blockPublicAccess: boolean;
  /** A default object lock retention at least this strong. */
  objectLock?: { mode: ObjectLockMode; days: number };
}

/** The settings a requirement covers, in the order apply puts them (versioning first: replication and object lock need it). */
export const REQUIREMENT_SETTINGS = ['versioning', 'publicAccessBlock', 'objectLock', 'lifecycle', 'replication'] as const;
export type RequirementSetting = (typeof REQUIREMENT_SETTINGS)[number];

/** A bucket's settings as S3 reports them, as far as a requirement asks (what was not read is absent). */
export interface ObservedBucket {
  versioning: 'Enabled' | 'Suspended' | 'Off';
  lifecycle?: Array<{ id?: string; enabled: boolean; prefix?: string; noncurrentDays?: number }>;
  /** Absent: no replication configuration (or not read). */
  replication?: { role?: string; rules: Array<{ id?: string; enabled: boolean; prefix: string; bucket: string }> };
  publicAccessBlocked?: boolean;
  objectLock?: { enabled: boolean; mode?: string; days?: number };
}

/** What lifecycle and replication rules share: an ID, a status, and a prefix (old style, or in a filter). */
interface RawRule {
  ID?: string | undefined;
  Status?: string | undefined;
  Prefix?: string | undefined;
  Filter?: { Prefix?: string | undefined; And?: { Prefix?: string | undefined } | undefined } | undefined;
}

/** The shapes of S3's Get* answers (as the SDK returns them) that `observeBucket` reads; undefined: S3 said there is none. */
export interface RawBucketAnswers {
  versioning?: { Status?: string | undefined };
  lifecycleRules?: Array<RawRule & { NoncurrentVersionExpiration?: { NoncurrentDays?: number | undefined } | undefined }>;
  replication?: {
    Role?: string | undefined;
    Rules?: Array<RawRule & { Destination?: { Bucket?: string | undefined } | undefined }> | undefined;
  };
  publicAccessBlock?: { BlockPublicAcls?: boolean | undefined; IgnorePublicAcls?: boolean | undefined; BlockPublicPolicy?: boolean | undefined; RestrictPublicBuckets?: boolean | undefined };
  objectLock?: { ObjectLockEnabled?: string | undefined; Rule?: { DefaultRetention?: { Mode?: string | undefined; Days?: number | undefined; Years?: number | undefined } | undefined } | undefined };
}

/** What a requirement reads: `observeBucket` of these answers (the readers ask only for what `req` covers). */
export function observeBucket(req: BucketRequirement, raw: RawBucketAnswers): ObservedBucket {
  const status = raw.versioning?.Status;
  const prefixOf = (r: RawRule) => r.Filter?.And?.Prefix ?? r.Filter?.Prefix ?? r.Prefix ?? '';
  const p = raw.publicAccessBlock;
  const lock = raw.objectLock;
  const retention = lock?.Rule?.DefaultRetention;
  return {
    versioning: status === 'Enabled' || status === 'Suspended' ? status : 'Off',
    ...(req.keepNoncurrentDays !== undefined && {
      lifecycle: (raw.lifecycleRules ?? []).map((r) => ({
        ...(r.ID !== undefined && { id: r.ID }),
        enabled: r.Status === 'Enabled',
        prefix: prefixOf(r),
        ...(r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined && { noncurrentDays: r.NoncurrentVersionExpiration.NoncurrentDays }),
      })),
    }),
    ...(req.replication !== undefined &&
      raw.replication !== undefined && {
        replication: {
          ...(raw.replication.Role !== undefined && { role: raw.replication.Role }),
          rules: (raw.replication.Rules ?? []).map((r) => ({
            ...(r.ID !== undefined && { id: r.ID }),
            enabled: r.Status === 'Enabled',
            prefix: prefixOf(r),
            bucket: (r.Destination?.Bucket ?? '').replace(/^arn:[^:]+:s3:::/, ''),
          })),
        },
      }),
    ...(req.blockPublicAccess && {
      publicAccessBlocked: p?.BlockPublicAcls === true && p.IgnorePublicAcls === true && p.BlockPublicPolicy === true && p.RestrictPublicBuckets === true,
    }),
    ...(req.objectLock !== undefined && {
      objectLock: {
        enabled: lock?.ObjectLockEnabled === 'Enabled',
        ...(retention?.Mode !== undefined && { mode: retention.Mode }),
        ...((retention?.Days ?? retention?.Years) !== undefined && { days: retention?.Days ?? (retention?.Years ?? 0) * 365 }),
      },
    }),
  };
}

/** Lifeboat's own replication rule for a requirement: the one rule `s3 apply` may write or replace there. */
export function requirementRuleId(req: Pick<BucketRequirement, 'component'>): string {
  return `lifeboat-${req.component}-replication`;
}

export interface BucketShortfall {
  setting: RequirementSetting;
  /** critical: a restore as of a time, or the replica, would fail; warning: works, but look. */
  level: 'critical' | 'warning';
  /** What is wrong and why it matters. */
  problem: string;
  /** What `s3 apply` does about it (`enable versioning`); absent: apply cannot, and `remedy` says what a person must do. */
  change?: string;
  remedy?: string;
}

/** Prefixes overlap when one is a prefix of the other (`''` overlaps all). */
const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
const STRENGTH: Record<string, number> = { GOVERNANCE: 1, COMPLIANCE: 2 };

/** What is not as `req` needs it (none: the bucket is as it should be). */
export function bucketShortfalls(req: BucketRequirement, seen: ObservedBucket): BucketShortfall[] {
  const found: BucketShortfall[] = [];
  if (req.versioning && seen.versioning !== 'Enabled') {
    found.push({
      setting: 'versioning',
      level: 'critical',
      problem:
        req.role.includes('replica')
          ? `versioning is ${seen.versioning.toLowerCase()}; S3 replicates only into a versioned bucket`
          : `versioning is ${seen.versioning.toLowerCase()}: overwritten and deleted objects are not kept, so nothing can be restored as of a time`,
      change: `enable versioning${seen.versioning === 'Suspended' ? ' (it is suspended)' : ''}`,
    });
  }
  if (req.keepNoncurrentDays !== undefined) {
    for (const rule of seen.lifecycle ?? []) {
      if (!rule.enabled || rule.noncurrentDays === undefined || rule.noncurrentDays >= req.keepNoncurrentDays || !overlaps(rule.prefix ?? '', req.prefix)) continue;
      found.push({
        setting: 'lifecycle',
        level: 'critical',
        problem: `lifecycle rule ${JSON.stringify(rule.id ?? '(no ID)')} expires noncurrent versions after ${rule.noncurrentDays} days, before the ${req.keepNoncurrentDays} days ${req.keepNoncurrentReason ?? 'the plan keeps them'}`,
        remedy: `set its NoncurrentDays to at least ${req.keepNoncurrentDays} (lifeboat s3 apply never shortens a retention or changes a rule it did not write)`,
      });
    }
  }
  if (req.replication !== undefined) found.push(...replicationShortfalls(req, req.replication, seen));
  if (req.blockPublicAccess && seen.publicAccessBlocked !== true) {
    found.push({
      setting: 'publicAccessBlock',
      level: 'warning',
      problem: 'public access is not fully blocked (all four PublicAccessBlock settings); media served publicly should go through a CDN with an origin access identity',
      change: 'block all public access',
    });
  }
  const lock = req.objectLock;
  if (lock !== undefined) {
    const have = seen.objectLock;
    const strongEnough = have?.enabled === true && (STRENGTH[have.mode ?? ''] ?? 0) >= STRENGTH[lock.mode]! && (have.days ?? 0) >= lock.days;
    if (have?.enabled !== true) {
      // Turning object lock on cannot be undone: a decision for the bucket's owner, not a side effect of apply.
      found.push({
        setting: 'objectLock',
        level: 'warning',
        problem: `object lock is off, but the plan asks for a default retention of ${lock.mode} for ${lock.days} days`,
        remedy: `turning it on is for good: aws s3api put-object-lock-configuration --bucket ${req.bucket} --object-lock-configuration '{"ObjectLockEnabled":"Enabled"}' (versioning on), then lifeboat s3 apply sets the retention`,
      });
    } else if (!strongEnough) {
      found.push({
        setting: 'objectLock',
        level: 'warning',
        problem: `object lock default retention is ${have.mode !== undefined ? `${have.mode} for ${have.days ?? 0} days` : 'none'}, weaker than the ${lock.mode} for ${lock.days} days the plan asks`,
        change: `set object lock default retention to ${lock.mode} for ${lock.days} days`,
      });
    }
  }
  return found;
}

function replicationShortfalls(req: BucketRequirement, want: NonNullable<BucketRequirement['replication']>, seen: ObservedBucket): BucketShortfall[] {
  const rules = seen.replication?.rules ?? [];
  const covers = (r: (typeof rules)[number]) => r.enabled && r.bucket === want.bucket && req.prefix.startsWith(r.prefix);
  if (rules.some(covers)) return [];
  const elsewhere = rules.filter((r) => r.enabled && r.bucket !== want.bucket).map((r) => `s3://${r.bucket}`);
  const problem = elsewhere.length > 0
    ? `replication goes to ${[...new Set(elsewhere)].join(', ')}, not to s3://${want.bucket} (${want.region}) as the plan says`
    : `no enabled replication rule copies ${req.prefix === '' ? 'the bucket' : `${req.prefix}`} to s3://${want.bucket} (${want.region}), as the plan says`;
  const role = seen.replication?.role;
  const id = requirementRuleId(req);
  if (role !== undefined && want.roleArn !== undefined && role !== want.roleArn) {
    return [{ setting: 'replication', level: 'critical', problem, remedy: `the bucket replicates with role ${role} and S3 allows one role per bucket: set replication.roleArn of ${req.component} to it` }];
  }
  const roleArn = want.roleArn ?? role;
  if (roleArn === undefined) {
    return [{ setting: 'replication', level: 'critical', problem, remedy: `give replication.roleArn of ${req.component} (the IAM role S3 assumes to replicate) so that lifeboat s3 apply can add the rule, or add one yourself` }];
  }
  return [{ setting: 'replication', level: 'critical', problem, change: `add replication rule ${id}: ${req.prefix === '' ? 'every object' : `objects under ${req.prefix}`} to s3://${want.bucket} (${want.region}), role ${roleArn}` }];
}
