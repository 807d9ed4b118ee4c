import type { DestinationCommon } from '../storage.js';

/** Milliseconds. Written in plans as `30d`, `24h`, `15m`, `90s`, `0`. */
export type DurationMs = number;

export type Schedule =
  | { kind: 'cron'; expression: string }
  | { kind: 'on-change' }
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
  /** A Lifeboat action on a component. */
  action?: { type: 'backup' | 'restore' | 'verify' | 'drill' | 'status'; component?: string };
}

/** The guide's disaster scenarios as checklists: data, not code. */
export interface Runbook {
  id: string;
  title: string;
  /** How the disaster shows itself. */
  detection: string[];
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
  hooks: Hooks;
  drill?: DrillPlan;
}

export interface Rule321 {
  copies: number;
  media: number;
  offsite: number;
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
  /** Where alerts go, by severity (sev1 worst). */
  notify: NotifyChannel[];
  /** Runbooks that replace (by id) or add to the shipped ones. */
  runbooks: Runbook[];
  /** Component entries: common fields plus the strategy's own (validated by it). */
  components: Record<string, ComponentPlan & Record<string, unknown>>;
}
