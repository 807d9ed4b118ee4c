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
  /** Component entries: common fields plus the strategy's own (validated by it). */
  components: Record<string, ComponentPlan & Record<string, unknown>>;
}
