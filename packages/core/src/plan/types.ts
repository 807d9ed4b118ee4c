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
  /** Component entries: common fields plus the strategy's own (validated by it). */
  components: Record<string, ComponentPlan & Record<string, unknown>>;
}
