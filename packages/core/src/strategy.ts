import type { Readable, Writable } from 'node:stream';
import type { z } from 'zod';
import type { RestoreCheck, StoredArtifact } from './events.js';
import type { ComponentPlan, RunbookStep } from './plan/types.js';
import type { Manifest } from './repository/manifest.js';
import type { SecretResolver } from './plan/secret.js';
import type { RestoreSurface } from './restore-surface.js';
import type { KindArchive } from './archive.js';
import type { CatalogEntry } from './engine/catalog.js';
import type { EngineContext } from './engine/context.js';
import type { DoctorCheck, DoctorContext } from './doctor.js';
import type { ContinuousHook } from './continuous.js';
import type { BucketRequirement } from './bucket-requirement.js';

/** Facts about the source recorded in the manifest (JSON, never secrets). */
export type SourceFacts = Record<string, unknown>;

export interface ArtifactOptions {
  /** What the content is, e.g. `pg_dump custom archive`, `SQL`, `Redis RDB`. */
  format: string;
  /** gzip the stream in the pipeline (for content that is not compressed already). */
  compress: boolean;
  /** gzip level when compressing, 1 (fastest) to 9; default 6, gzip's own. */
  compressLevel?: number;
  /** Expected content size, when known, for progress totals. */
  expectedBytes?: number;
}

/** What both backup and restore contexts give a strategy. */
export interface StrategyContext<Config> {
  component: string;
  /** The component's plan entry: common fields plus the strategy's own. */
  config: ComponentPlan & Config;
  secrets: SecretResolver;
  /** Folder of the plan file: relative paths in the component's config are relative to it. */
  planDir: string;
  /** Environment for child processes (PATH, locale…); secrets are added per call. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  step(message: string): void;
  warn(message: string): void;
}

export interface BackupContext<Config> extends StrategyContext<Config> {
  /** This backup's id (`20260214T020000Z-…`): a kind that keeps what it makes outside the destinations (EC2 images) tags it with this. */
  backupId: string;
  /** The plan's `name`, for the same tags. */
  planName: string;
  /**
   * Streams `body` (content bytes) through the pipeline to every destination of
   * the component. Resolves when each destination holds the artifact; rejects
   * (and leaves nothing visible) if the body errors or any destination fails.
   */
  storeArtifact(name: string, body: Readable, opts: ArtifactOptions): Promise<StoredArtifact>;
  /**
   * Reads a stored artifact back from a destination, as content bytes
   * (decrypted, decompressed). The stream errors if the stored bytes do not
   * match sha256. Rejects with `ReadBackUnavailableError` for an encrypted
   * artifact on a host without an identity: skip the check and say so.
   */
  readArtifact(name: string): Promise<Readable>;
  /** Artifacts are encrypted (the plan has `encryption`); a strategy warning about plaintext secrets stays quiet. */
  encrypted: boolean;
  /** The latest complete backup of this component, if any (for `schedule: on-change`). */
  previous?: Manifest;
  /**
   * What a strategy returns instead of facts when the source has not changed
   * since `previous`: no backup is written, and the run journal records that
   * the component was checked (it counts as fresh for its RPO).
   */
  unchanged(reason: string): Unchanged;
}

const UNCHANGED = Symbol.for('lifeboat.unchanged');

export interface Unchanged {
  readonly [UNCHANGED]: true;
  reason: string;
}

export function unchanged(reason: string): Unchanged {
  return { [UNCHANGED]: true, reason };
}

export function isUnchanged(value: unknown): value is Unchanged {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[UNCHANGED] === true;
}

/** What every kind's restore is told; what only some kinds take is in `options`. */
export interface RestoreRequest {
  /** `--to`: where to restore, as the user typed it (a URL, `env:NAME`, a folder…). */
  target?: string;
  /** Remove what the target holds first (only for kinds whose restore surface has `clean`). */
  clean: boolean;
  /** The user confirmed a destructive action. */
  yes: boolean;
  /**
   * The kind's own options (`--to-dir`, `--owner`, `--jobs`…) by name, as its
   * restore surface declares them; the engine refuses any other before
   * anything is read (`checkRestoreRequest`).
   */
  options: Record<string, unknown>;
}

/** One entry of what a backup holds, for `restore --list`. */
export interface ContentEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  bytes: number;
  mode: number;
  mtime: string;
  linkTarget?: string;
}

/** A verified artifact on local disk (`RestoreContext.localFile`). */
export interface LocalFile {
  /** A path any process of this user can open while the restore runs. */
  path: string;
  /** Rejects (CopyUnusableError) when the file changed after it was verified. */
  unchanged(): Promise<void>;
  /** Removes what `localFile` made for this call (nothing when it handed out the proven copy). */
  release(): Promise<void>;
}

export interface RestoreContext<Config> extends StrategyContext<Config> {
  manifest: Manifest;
  request: RestoreRequest;
  /**
   * Opens an artifact as content bytes. The stream errors at its end if the
   * stored bytes do not match the manifest's sha256; strategies must not make a
   * restore visible (commit, close input) before the stream has ended cleanly.
   */
  open(name: string): Promise<Readable>;
  /** Writes an artifact's content to `path` (mode 0600), fully verified before it resolves. */
  download(name: string, path: string): Promise<void>;
  /**
   * An artifact's verified content as a local file that a child process can
   * open and seek by name (pg_restore --jobs), without a copy where the
   * restore's proven copy already is one: the spool file, or the stored file
   * of a local destination, held open since it was hashed. Call `unchanged`
   * once the tool has read it and before making its result visible.
   */
  localFile(name: string): Promise<LocalFile>;
  /** What the strategy's `prepare` made while the copy was proven (given to `restore` only); the restore now owns it. */
  prepared?: PreparedRestore;
  /**
   * The strategy's `sink`, which took its artifacts' content as the copy was
   * proven (given to `restore` only; those artifacts have no spool file, and
   * `open`/`localFile` of them fail); the restore now owns what it wrote.
   */
  sink?: ContentSink;
  /** The plan file, for a server the restore starts that calls Lifeboat back (PostgreSQL's restore_command). */
  planFile: string;
  /** How to run this Lifeboat (argv prefix, e.g. [node, bin.js]); absent when the app cannot say. */
  selfCommand?: readonly string[];
}

/** Something `Strategy.prepare` made that nobody sees yet (postgres: an empty staging database). */
export interface PreparedRestore {
  /** Undoes it; the engine calls this when the restore does not start after all. */
  discard(): Promise<void>;
}

/**
 * Where the verified content of some artifacts goes while the copy is proven,
 * instead of the local spool (`Strategy.sink`): a restore to a point into an
 * empty folder lays its base backup out as it is read. What it writes must
 * stay unusable (nothing can start on it) until `restore` makes it so, since
 * the proof ends only when the last byte has been read.
 */
export interface ContentSink {
  /** The artifacts it takes, by the names strategies use (`.age` dropped). */
  artifacts: readonly string[];
  /** A writable for one reading of one artifact's content; the engine pipes the content in and ends it. */
  open(artifact: string): Promise<Writable>;
  /** Undoes what it wrote: the copy was unusable (the next copy is then read into a fresh `open`), or the restore did not start. */
  reset(): Promise<void>;
}

/** What `chooseBackup` is given: the component's complete backups, oldest first (possibly none), and the request. */
export interface BackupChoice {
  component: string;
  catalog: CatalogEntry[];
  request: RestoreRequest;
  /** `--backup ID`, when given. */
  backupId?: string;
}

export interface RestoreOutcome {
  /** Where it went, without secrets, for messages. */
  target: string;
  /** Post-restore checks (row counts, key counts); any `ok: false` fails the restore. */
  checks: RestoreCheck[];
  /** When the restored data was in place (dump.rdb renamed), if before the restore's own end. */
  placedAt?: Date;
  /** Checks failed on a staged copy and the target itself was left as it was (postgres restores into a staging database). */
  untouched?: boolean;
  /**
   * What the restore found, for the people who asked (a table restore's
   * per-table comparison): `lines` as the runner and the TUI print them,
   * `data` for `--json` and the run journal.
   */
  report?: RestoreReport;
}

export interface RestoreReport {
  lines: string[];
  data: Record<string, unknown>;
}

/** What `checkLiveTarget` is told about the restore it follows. */
export interface RestoredTarget {
  outcome: RestoreOutcome;
  /**
   * When the restored data was in place (the outcome's `placedAt`, else when
   * the strategy's restore finished): a service running since before then
   * cannot hold it.
   */
  restoredAt: Date;
  /** The plan has afterRestore hooks (which typically start the service). */
  afterRestoreHooks: boolean;
}

/**
 * A kind of source (`postgres`, `redis`, `files`…). `config` is the strategy's
 * own plan fields; the plan loader merges them with the common component fields
 * and rejects unknown keys.
 */
/** A step a kind adds to one of the shipped runbooks (`Strategy.runbookSteps`). */
export interface RunbookContribution {
  /** The shipped runbook's id. */
  runbook: string;
  step: RunbookStep;
  /** `start`: before the runbook's first step (e.g. the new server comes first); `end`: after its last. */
  at: 'start' | 'end';
}

export interface Strategy<Config = unknown> {
  kind: string;
  /** One line for `--help` and docs. */
  summary: string;
  config: z.ZodObject<z.ZodRawShape>;
  /** Facts about the source, or `ctx.unchanged(reason)` when there is nothing new to back up. */
  backup(ctx: BackupContext<Config>): Promise<SourceFacts | Unchanged>;
  restore(ctx: RestoreContext<Config>): Promise<RestoreOutcome>;
  /**
   * Checks the live target after the plan's afterRestore hooks have run — for
   * a restore whose data only goes live when a hook starts a service (Redis
   * loads dump.rdb at start). Resolves with what was checked, or undefined
   * when there is nothing live to check; any `ok: false` fails the restore.
   */
  checkLiveTarget?(ctx: RestoreContext<Config>, restored: RestoredTarget): Promise<RestoreOutcome | undefined>;
  /**
   * Chooses the backup a restore request needs, reading only the destinations,
   * and refuses (before anything is read whole or changed) a request no
   * backup can serve — e.g. a restore to a point in time: the base backup
   * before the point whose WAL the archive holds. Undefined: the default
   * choice (the latest, or `--backup ID`).
   */
  chooseBackup?(ctx: EngineContext, choice: BackupChoice): Promise<CatalogEntry | undefined>;
  /** The artifacts a restore of `request` reads (names without `.age`); only they are proven. Undefined: all. */
  restoreArtifacts?(manifest: Manifest, request: RestoreRequest): string[] | undefined;
  /**
   * False when the request restores into a throwaway target (a server the
   * restore starts and stops itself): the plan's beforeRestore/afterRestore
   * hooks, which stop and start production services, are not run. Default: true.
   */
  runsHooks?(request: RestoreRequest): boolean;
  /**
   * Refuses a restore request before anything happens — before the plan's
   * beforeRestore hooks stop a service — e.g. a target that needs --yes.
   */
  preflight?(ctx: RestoreContext<Config>): Promise<void>;
  /**
   * Work that changes nothing anyone sees, done while the copy is being
   * proven instead of after it (postgres: creating the empty staging
   * database). Its result reaches `restore` as `ctx.prepared`, and the
   * restore owns it from then on. When the restore does not start (proving,
   * review or a beforeRestore hook fails, the run is cancelled), the engine
   * waits for it and calls `discard()`.
   */
  prepare?(ctx: RestoreContext<Config>): Promise<PreparedRestore | undefined>;
  /**
   * A sink for artifacts the restore would otherwise read from the spool,
   * asked for after the preflight and before the copy is read: its content is
   * written there as it is proven (one read instead of spool, then read again).
   * Only for a target nobody uses yet (an empty folder); undefined otherwise.
   * The engine calls `reset()` between copies and when the restore does not start.
   */
  sink?(ctx: RestoreContext<Config>): Promise<ContentSink | undefined>;
  /**
   * Refuses a restore whose backup content makes it unsafe or needs a
   * confirmation — after the copy is proven (`ctx.open` reads the local
   * spool), before the plan's beforeRestore hooks. E.g. files the target
   * already holds without --yes. Changes nothing.
   */
  review?(ctx: RestoreContext<Config>): Promise<void>;
  /**
   * Its restore options, target kinds and "what will happen" lines, which the
   * runner's flags and the TUI's restore wizard render; without one, the kind
   * takes `--to` and `--clean` only (`restoreSurfaceOf`).
   */
  restoreSurface?: RestoreSurface<Config>;
  /**
   * Steps the kind adds to a shipped runbook (by its id, e.g. `server-failure`)
   * for each component of this kind in the plan — so a scenario offers what
   * only some plans have (a launch from a system image) without naming a kind
   * a plan may lack. The step names the component by its name. A runbook the
   * plan replaced is the plan's own and gets none.
   */
  runbookSteps?(component: string, config: ComponentPlan & Config): RunbookContribution[];
  /** What a backup holds, without restoring it (`restore --list`). */
  contents?(ctx: RestoreContext<Config>): Promise<ContentEntry[]>;
  /**
   * Checks the structure of a backup's artifacts as stock tools would read them
   * (`verify --deep`): resolves with a one-line summary, rejects with the
   * problem. Reads through `ctx.open`, so checksums are checked too.
   */
  check?(ctx: RestoreContext<Config>): Promise<string>;
  /**
   * Gets a scratch place to restore into for `lifeboat drill` — never the
   * production target. `target` is the plan's `drill.target` (`ephemeral`, or
   * strategy-specific such as env:STAGING_URL).
   */
  prepareDrill?(ctx: StrategyContext<Config>, target: string): Promise<DrillTarget>;
  /**
   * What the kind keeps beside its backups outside backup runs (PostgreSQL's
   * WAL archive): status, prune and verify ask it through these hooks.
   */
  archive?: KindArchive<Config>;
  /**
   * For `schedule: on-change`: the absolute paths whose changes should start a
   * backup (a systemd .path unit watches them), and those that cannot be
   * watched as written (globs), which only the safety timer covers.
   */
  watchedPaths?(config: ComponentPlan & Config, planDir: string): WatchedPaths;
  /**
   * For `schedule: continuous`: what keeps the component backed up all the
   * time (postgres with pitr: WAL archiving, and a pusher service with
   * pitr.async), or why this component cannot be (the plan is refused with
   * that sentence). Without it the kind refuses `continuous`. Called by the
   * plan loader and by the unit and manifest generators.
   */
  continuous?: ContinuousHook<Config>;
  /**
   * `lifeboat doctor`: does the source answer, with the right credentials and
   * tool versions, as a backup will need it? Checks only, changes nothing;
   * a problem is a `critical` line, not a rejection.
   */
  doctor?(ctx: DoctorContext<Config>): Promise<DoctorCheck[]>;
  /**
   * `lifeboat s3 policy`: the IAM statements a component of this kind needs
   * beyond the destinations' (ec2: CreateImage, DeregisterImage…), least
   * privilege by action; `notes` say what a statement cannot narrow.
   */
  iamStatements?(input: { planName: string; component: string; config: ComponentPlan & Config }): { statements: IamStatement[]; notes: string[] };
  /**
   * `lifeboat s3 check` / `s3 apply`: the buckets a component of this kind
   * relies on outside the destinations (a media bucket, its replica) and what
   * must stay true of them, in the order apply makes them true (a replica's
   * versioning before the rule that replicates into it). Pure, no S3 calls.
   */
  buckets?(input: { component: string; config: ComponentPlan & Config }): BucketRequirement[];
}

/** One statement of an IAM policy document. */
export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface WatchedPaths {
  paths: string[];
  unwatched: string[];
}

/** A throwaway restore target for a drill. */
export interface DrillTarget {
  /** What the restore is told (e.g. `target: env:LIFEBOAT_DRILL_URL`). */
  request: RestoreRequest;
  /** Extra environment for the restore (the scratch server's URL, with its password). */
  env: Record<string, string>;
  /** For messages, without secrets. */
  description: string;
  /** Drops the scratch database / stops the throwaway server. */
  cleanup(): Promise<void>;
}
