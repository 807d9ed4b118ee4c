import type { DestinationCommon } from '../storage.js';
import type { StorageCapabilities } from '../storage-capabilities.js';

/** Milliseconds. Written in plans as `30d`, `24h`, `15m`, `90s`, `0`. */
export type DurationMs = number;

export type Schedule =
  | { kind: 'cron'; expression: string }
  | { kind: 'on-change' }
  /** Kept backed up all the time by what the kind runs (`Strategy.continuous`: PostgreSQL's WAL archiving). */
  | { kind: 'continuous' };

export interface RetentionPolicy {
  within?: DurationMs;
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** Never delete below this many complete backups (default 1). */
  minimum: number;
}

export interface Hooks {
  beforeBackup: string[];
  afterBackup: string[];
  beforeRestore: string[];
  afterRestore: string[];
}

export interface DestinationPlan extends DestinationCommon {
  name: string;
  /** Adapter-specific fields (path, bucket…), as validated by the storage type. */
  [field: string]: unknown;
}

/** Where and how `lifeboat drill` proves a backup restores. */
export interface DrillPlan {
  /** `ephemeral` (a throwaway local server) or a strategy-specific target (e.g. env:STAGING_URL). */
  target: string;
  /** An http(s) URL that must answer 2xx, or a shell command that must exit 0, after the restore. */
  healthCheck?: string;
}

export type Severity = 'sev1' | 'sev2' | 'sev3';

export type NotifyChannel =
  | { type: 'webhook'; url: string; severities: Severity[] }
  | { type: 'email'; smtp: string; from: string; to: string[]; severities: Severity[] }
  | { type: 'ping'; url: string };

/** One step of a disaster-recovery runbook: automated (a command or a Lifeboat action) or manual. */
export interface RunbookStep {
  title: string;
  /** What to look at or do, for the person following it. */
  detail?: string;
  /** A shell command run in the plan's folder (e.g. the guide's `docker-compose stop backend`). */
  command?: string;
  /**
   * A Lifeboat action. `component` names a component, or a type (`postgres`)
   * for the plan's components of that type; without it the action acts on
   * the components the runbook is about.
   */
  action?: {
    type: 'backup' | 'restore' | 'verify' | 'drill' | 'status';
    component?: string;
    /** restore: the wizard's target to start on, by its kind (`tables`: a table-level restore); absent or not offered: the first. */
    target?: string;
  };
}

/** The guide's disaster scenarios as checklists: data, not code. */
export interface Runbook {
  id: string;
  title: string;
  /** How the disaster shows itself. */
  detection: string[];
  /** The components the scenario is about, by name or type (`postgres`); all of the plan's when absent. */
  about?: string[];
  steps: RunbookStep[];
}

/** The fields every component has, whatever its type. */
export interface ComponentPlan {
  name: string;
  type: string;
  schedule: Schedule;
  rpo: DurationMs;
  rto: DurationMs;
  destinations: string[];
  retention: Record<string, RetentionPolicy>;
  /** `auto`: prune this component after each successful backup of it; `manual`: only `lifeboat prune`. */
  prune: 'auto' | 'manual';
  hooks: Hooks;
  drill?: DrillPlan;
  /** `all` (default): a backup commits only when every destination has it. `any`: commit to those that succeeded and record the rest. */
  require: 'all' | 'any';
}

/**
 * Backups of a component that no rule may delete until a date: the guide's
 * legal requirements (election data until the election + 22 months). Dates
 * are UTC, as written: `YYYY-MM-DD` (a whole day) or an ISO time.
 */
export interface LegalHold {
  component: string;
  /** Backups finished at or after this time (default: all earlier backups too). */
  from?: string;
  /** Backups finished at or before this time; a date covers its whole day (default: all later backups too). */
  to?: string;
  /** `YYYY-MM-DD`: the hold lasts through the end of this day (UTC). */
  until: string;
  reason: string;
}

/**
 * What a lifecycle rule does to objects by age, so that `plan check` can prove
 * it agrees with retention and legal holds. The classes and the store's own
 * rules come from the destination's storage type (its `lifecycle`
 * capability); applying it to S3 is `lifeboat s3 apply`.
 */
export interface LifecyclePolicy {
  /**
   * `artifacts`: only objects Lifeboat tags `lifeboat-kind=artifact` (never
   * manifests, pins, the marker or the run journal); `bucket`: every object
   * under `prefix`, as a rule without a tag filter does in S3.
   */
  scope: 'artifacts' | 'bucket';
  /** A key prefix the rule is limited to (within the bucket). */
  prefix?: string;
  /** In increasing `days` order: object age in days when it moves to `class` (one of the storage type's classes). */
  transitions: Array<{ days: number; class: string }>;
  /** Object age in days when the store deletes it. */
  expireDays?: number;
}

export interface Rule321 {
  copies: number;
  media: number;
  offsite: number;
}

export interface EncryptionPlan {
  /** age X25519 recipients (`age1…`): every artifact is encrypted to all of them. */
  recipients: string[];
  /** Secret reference to an age identity file; needed only to read backups (restore, verify --deep, drill). */
  identity?: string;
}

/**
 * Plan-level timers (`schedules:`), as written; `resolveSchedules` fills in
 * the defaults. Cron expressions are read in `timeZone`, components' too.
 */
export interface PlanSchedules {
  /** IANA zone every cron expression of the plan is read in (default UTC). */
  timeZone?: string;
  /** Timers start up to this much later, at random, so hosts do not all start at once (default 5m). */
  randomizedDelay?: DurationMs;
  verify?: { schedule?: string; sample?: number };
  drill?: { schedule?: string };
  status?: { schedule?: string; prometheus?: string };
  prune?: { schedule?: string };
  /** `lifeboat doctor`, whose failure (something critical) alerts through the units' OnFailure=. */
  doctor?: { schedule?: string };
  /** The slow timer that backs up `on-change` components even when no change was noticed. */
  onChangeSafety?: string;
}

export interface Plan {
  /** Absolute path of the plan file. */
  file: string;
  /** Folder of the plan file: relative paths in the plan are relative to it. */
  dir: string;
  version: 1;
  name: string;
  destinations: Record<string, DestinationPlan>;
  rule321?: Rule321;
  encryption?: EncryptionPlan;
  /** Timers for verify, drill, status, prune, and the zone of every schedule. */
  schedules?: PlanSchedules;
  /** Where alerts go, by severity (sev1 worst). */
  notify: NotifyChannel[];
  /** Runbooks that replace (by id) or add to the shipped ones. */
  runbooks: Runbook[];
  /** Holds that override every retention rule. */
  legalHolds: LegalHold[];
  /** By destination name, or by the container (an s3 destination's bucket) of a type with lifecycle rules. */
  lifecycle: Record<string, LifecyclePolicy>;
  /** By storage type: what each type registered when the plan was read can do (for `plan check`). */
  storageCapabilities: Record<string, StorageCapabilities>;
  /** Component entries: common fields plus the strategy's own (validated by it). */
  components: Record<string, ComponentPlan & Record<string, unknown>>;
}
