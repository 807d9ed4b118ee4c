import type { EngineContext } from './engine/context.js';
import type { ComponentPlan, Severity } from './plan/types.js';
import type { Manifest } from './repository/manifest.js';
import type { Repository } from './repository/repository.js';

/**
 * What a kind keeps in its destinations beside its backups, written outside
 * backup runs — PostgreSQL's WAL archive (`wal/<component>/…`). Status,
 * prune and verify ask the kind through these hooks and never name it.
 */
export interface KindArchive<Config = unknown> {
  /** For messages: `WAL archive`. */
  name: string;
  /** Whether this component keeps one (a postgres component with `pitr:`); the hooks below run only then. */
  applies(config: ComponentPlan & Config): boolean;
  status(ctx: ArchiveStatusContext<Config>): Promise<ArchiveStatus>;
  /**
   * Deletes (or with `dryRun` only decides) what no kept backup needs, in one
   * destination, under the repository lock prune holds there.
   */
  prune(ctx: ArchivePruneContext<Config>): Promise<ArchivePruneReport>;
  /** Reads the archive in one destination back and reports damage; never repairs. */
  verify(ctx: ArchiveVerifyContext<Config>): Promise<ArchiveVerification>;
}

export interface ArchiveContext<Config> {
  engine: EngineContext;
  component: string;
  config: ComponentPlan & Config;
  now: Date;
}

export interface ArchiveStatusContext<Config> extends ArchiveContext<Config> {
  /** The component's complete backups, oldest first, as found in the destinations that answered. */
  backups: Manifest[];
  /** Destinations of the component that answered (the others are already reported unreachable). */
  reachable: string[];
}

/** One thing not ok, as status ranks it. */
export interface ArchiveProblem {
  health: 'warning' | 'critical';
  severity: Severity;
  reason: string;
}

export interface ArchiveStatus {
  /** Figures for `status --json` (under the component's `archive.fields`). */
  fields: Record<string, unknown>;
  /** Lines a person reads under the component (CLI and TUI). */
  lines: string[];
  /** What is not ok; joins the component's health and reasons. */
  problems: ArchiveProblem[];
  /** Gauges for `status --prometheus` (names start with `lifeboat_`). */
  metrics?: Array<{ name: string; help: string; value: number }>;
}

export interface ArchivePruneContext<Config> extends ArchiveContext<Config> {
  repository: Repository;
  /** The backups this destination keeps after this prune (manifests that are there and stay). */
  kept: Manifest[];
  /** Backup folders whose manifest cannot be read: what they need is unknown, so nothing they might need may go. */
  unknown: string[];
  dryRun: boolean;
  /** Aborted when the run stops or the repository lock is lost. */
  signal: AbortSignal;
}

export interface ArchivePruneReport {
  /** `WAL archive`. */
  archive: string;
  /** One sentence: what goes (or would go), up to where, and because of which kept backup. */
  summary: string;
  /** What goes (or would go with --dry-run). */
  remove: { files: number; bytes: number; through?: string };
  /** What stays. */
  keep: { files: number; bytes: number; from?: string };
  /** Files actually removed (0 in a dry run). */
  removed: number;
  error?: string;
}

export interface ArchiveVerifyContext<Config> extends ArchiveContext<Config> {
  repository: Repository;
  /** Which files to read whole: all with `verify --deep`, else a share rotating daily (verify's policy, not the kind's). */
  sample<T>(items: T[], keyOf: (item: T) => string): T[];
  /** How `sample` chooses, for messages: `all`, `10% rotating daily`. */
  sampling: string;
}

export interface ArchiveVerification {
  archive: string;
  destination: string;
  /** Files in the archive, and how many were read whole. */
  files: number;
  read: number;
  /** Sentences: damaged, missing or unreadable files. */
  problems: string[];
  /** One line for the human view. */
  summary: string;
}
