import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  formatBytes,
  LifeboatError,
  UsageError,
  describeError,
  formatDuration,
  runCommand,
  type BackupChoice,
  type CatalogEntry,
  type ContentSink,
  type EngineContext,
  type Owner,
  type RestoreCheck,
  type RestoreContext,
  type RestoreOutcome,
} from '@lifeboat/core';
import { findPostgresBinDir, postgresServerOwner, startPostgresOnDataDir, type PostgresOnDataDir } from '@lifeboat/ephemeral';
import pg from 'pg';
import { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT, walFileOf, type BaseBackupFacts } from './base-backup.js';
import type { PostgresConfig } from './config.js';
import { pgTarget, quoteIdent } from './connection.js';
import { exactCounts, existingTables } from './facts.js';
import { streamInto } from './stream-into.js';
import { BaseLayout, HELD_BACK } from './base-layout.js';
import { configuredSharedBuffers, hostMemory, recoverySharedBuffers } from './recovery-memory.js';
import { pipeline } from 'node:stream/promises';
import { pointRequestOf, type PointRequest } from './point-request.js';
import { planRecovery, type ArchiveView } from './recovery-plan.js';
import { describeTarget, recoverySettings, type RecoveryTarget } from './recovery-target.js';
import { listRecoveryArchive } from './wal/verify.js';
import { walComponent } from './wal/wal-component.js';
import { endPrefetch, prefetchFolderOf, prefetcherEnv, prefetchRestoreCommand, previousSegment, recordPosition } from './wal/prefetch-folder.js';
import type { WalEntry } from './wal/archive-layout.js';

/** Left in a data directory whose restore failed after it was laid out: PostgreSQL must not be started on what is there. */
export const FAILED_MARKER = 'LIFEBOAT_RESTORE_FAILED';
const SETTINGS_BEGIN = '# lifeboat restore to a point: recovery settings (removed once recovery has finished)';
const SETTINGS_END = '# end of lifeboat recovery settings';
const PROGRESS_EVERY_MS = 5_000;

function pointOf(ctx: Pick<RestoreContext<PostgresConfig>, 'component' | 'planFile' | 'config' | 'request'>): PointRequest | undefined {
  return pointRequestOf(ctx.component, ctx.planFile, ctx.config, ctx.request);
}

/**
 * `chooseBackup` of the postgres kind: for a restore to a point, the base
 * backup and the WAL that reach it, checked in the archive's listing before
 * anything is read whole; undefined (the default choice) for a dump restore.
 */
export async function choosePointBackup(ctx: EngineContext, choice: BackupChoice): Promise<CatalogEntry | undefined> {
  const config = ctx.registry.component(ctx.plan, choice.component) as ReturnType<EngineContext['registry']['component']> & PostgresConfig;
  const point = pointRequestOf(choice.component, ctx.plan.file, config, choice.request);
  // Nothing to choose from: the engine says so.
  if (!point || choice.catalog.length === 0) return undefined;
  // The server binaries' version, asked while the archive is listed: the preflight after the choice finds the answer waiting.
  const binDir = findPostgresBinDir(config.binDir, ctx.env.PATH);
  if (binDir) serverMajor(binDir, ctx.env).catch(() => undefined);
  return chooseBaseBackup(ctx, choice, point.target);
}

/**
 * The base backup that reaches `target` with the archived WAL, proven in the
 * archive's listing (the table-level restore's `--as-of` on a `pitr:` component uses it too).
 */
export async function chooseBaseBackup(ctx: EngineContext, choice: BackupChoice, target: RecoveryTarget): Promise<CatalogEntry> {
  const plan = await recoveryPlanFor(ctx, choice.component, choice.catalog, target, choice.backupId);
  const chosen = choice.catalog.find((e) => e.id === plan.backupId)!;
  ctx.onEvent({
    type: 'step',
    component: choice.component,
    message: `restore to ${describeTarget(target)}: base backup ${chosen.id} (ended ${(chosen.manifest.facts.baseBackup as BaseBackupFacts).stopTime}), then WAL ${plan.firstWal} … ${plan.lastWal} (${plan.segments} file(s), all in the archive${plan.timeline > 1 ? `; timeline ${plan.timeline}` : ''})`,
  });
  return chosen;
}

/**
 * The base backup for `target` and the proof that the WAL archive reaches it
 * (library function: the table-level restore uses it for `--as-of`).
 */
export async function recoveryPlanFor(ctx: EngineContext, component: string, catalog: CatalogEntry[], target: RecoveryTarget, backupId?: string) {
  const { repositories } = walComponent(ctx, component);
  const listings = await Promise.all(repositories.map((r) => listRecoveryArchive(ctx, r, component)));
  const readable = listings.filter((l) => l.systemIdentifier);
  for (const l of listings) {
    for (const problem of l.problems) ctx.onEvent({ type: 'warning', component, message: `WAL archive in destination '${l.destination}': ${problem}` });
  }
  if (readable.length === 0) {
    throw new LifeboatError(`no destination of ${component} holds a readable WAL archive (${listings.flatMap((l) => l.problems).join('; ')}); nothing can be restored to a point`);
  }
  const files = new Map<string, WalEntry>();
  const histories: ArchiveView['histories'] = new Map();
  for (const listing of readable) {
    if (listing.systemIdentifier !== readable[0]!.systemIdentifier) continue;
    for (const entry of listing.entries) if (!files.has(entry.file)) files.set(entry.file, entry);
    for (const [timeline, parents] of listing.histories) if (!histories.has(timeline)) histories.set(timeline, parents);
  }
  const backups = catalog.flatMap((e) => {
    const baseBackup = e.manifest.facts.baseBackup as BaseBackupFacts | undefined;
    return baseBackup ? [{ id: e.id, baseBackup }] : [];
  });
  return planRecovery({ archive: { component, systemIdentifier: readable[0]!.systemIdentifier!, files, histories }, backups, target, ...(backupId ? { backupId } : {}) });
}

interface Tools {
  binDir: string;
  owner?: Owner;
}

/** Before any hook: the request, the folder, its owner and the server binaries — refused with a sentence, nothing changed. */
export async function preflightPoint(ctx: RestoreContext<PostgresConfig>, point: PointRequest): Promise<Tools> {
  const facts = ctx.manifest.facts.baseBackup as BaseBackupFacts | undefined;
  if (!facts) throw new UsageError(`backup ${ctx.manifest.id} of ${ctx.component} holds no base backup (only a dump), so it cannot be restored to a point`);
  if (!ctx.selfCommand) throw new LifeboatError('this Lifeboat cannot say how to run itself, which restore_command needs (wal get); run it as the lifeboat command');
  const binDir = findPostgresBinDir(ctx.config.binDir, ctx.env.PATH);
  if (!binDir) throw new UsageError('no PostgreSQL server binaries (postgres, pg_verifybackup) found on PATH or in /usr/lib/postgresql/*/bin; set binDir in the plan');
  const major = await serverMajor(binDir, ctx.env);
  const wanted = Math.floor(facts.serverVersionNum / 10000);
  if (major !== wanted) {
    throw new UsageError(`base backup ${ctx.manifest.id} is of PostgreSQL ${facts.serverVersion}, and the postgres in ${binDir} is version ${major}; a data directory starts only with the same major version (set binDir to the version ${wanted} binaries)`);
  }
  if (point.into.kind === 'ephemeral') {
    const owner = await postgresServerOwner();
    return { binDir, ...(owner ? { owner } : {}) };
  }
  const { dir } = point.into;
  const found = await lstat(dir).catch(() => undefined);
  if (found && !found.isDirectory()) throw new UsageError(`--to-dir ${dir} exists and is not a folder`);
  if (!found) {
    const parent = await stat(dirname(dir)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`--to-dir ${dir}: its parent folder ${dirname(dir)} does not exist`);
  } else if (!laidOutIn(ctx, dir)) {
    // (What is there now was laid out by this restore's sink, into the folder it found empty.)
    const held = await readdir(dir);
    if (held.length > 0 && !point.into.clean) {
      throw new UsageError(`--to-dir ${dir} is not empty (${held.length} entries, such as ${held.slice(0, 3).join(', ')}); pass --clean --yes to delete what it holds, or name a new folder`);
    }
  }
  const from = point.into.owner ?? (await stat(found ? dir : dirname(dir)));
  const owner = { uid: from.uid, gid: from.gid };
  const me = process.getuid?.();
  if (owner.uid === 0) {
    throw new UsageError(`${found ? dir : dirname(dir)} belongs to root, and PostgreSQL refuses to run as root; pass --owner UID:GID of the server's OS user (e.g. ${await postgresUid()})`);
  }
  if (me !== undefined && me !== 0 && me !== owner.uid) {
    throw new UsageError(`the data directory would belong to uid ${owner.uid}, and only root can run PostgreSQL as another user; run as uid ${owner.uid} or pass --owner ${me}:${process.getgid?.() ?? me}`);
  }
  return { binDir, owner };
}

/** The major version of `binDir`'s postgres, asked once per process (the preflight runs before the hooks, again for the sink, and in the restore). */
const majors = new Map<string, Promise<number>>();
function serverMajor(binDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  let major = majors.get(binDir);
  if (!major) {
    major = runCommand(join(binDir, 'postgres'), ['--version'], { env }).then(({ stdout }) => Number(/\(PostgreSQL\)\s+(\d+)/.exec(stdout)?.[1]));
    major.catch(() => majors.delete(binDir));
    majors.set(binDir, major);
  }
  return major;
}

async function postgresUid(): Promise<string> {
  const owner = await postgresServerOwner().catch(() => undefined);
  return owner ? `${owner.uid}:${owner.gid}` : '999:999';
}

/** The layout of the base backup made while it was proven (`pointSink`): in `dataDir`, waiting for `finish()`. */
interface PointSink extends ContentSink {
  dataDir: string;
  /** `--to ephemeral`: the throwaway folder that holds `dataDir`. */
  root?: string;
  /** Whether the folder was there before the restore (empty): a failed restore then empties it rather than removing it. */
  existed: boolean;
  /** The finished layout of the last reading; undefined until the base backup has been read whole. */
  layout(): BaseLayout | undefined;
}

/** This restore's sink when it laid the base backup out in `dir` (without one: in a throwaway folder, `--to ephemeral`). */
function laidOutIn(ctx: RestoreContext<PostgresConfig>, dir?: string): PointSink | undefined {
  const sink = ctx.sink as PointSink | undefined;
  if (!sink) return undefined;
  return (dir === undefined ? sink.root !== undefined : sink.dataDir === dir) ? sink : undefined;
}

/**
 * `Strategy.sink` of the postgres kind: a restore to a point into a folder
 * that does not exist or is empty (or into a throwaway server) lays the base
 * backup out as it is proven — one read, no spool copy, no second pass with
 * tar. Nothing is at stake there, and no PostgreSQL can start on the folder
 * before `finish()` (`HELD_BACK` comes last, after the proof). A folder with
 * anything in it (`--clean`) is left alone until the proof has passed, as before.
 */
export async function pointSink(ctx: RestoreContext<PostgresConfig>): Promise<PointSink | undefined> {
  const point = pointOf(ctx);
  if (!point) return undefined;
  // The owner the folder would get (the engine ran this preflight already; it refuses nothing new here).
  const { owner } = await preflightPoint(ctx, point);
  let root: string | undefined;
  let dataDir: string;
  let existed = false;
  if (point.into.kind === 'ephemeral') {
    root = await mkdtemp(join(tmpdir(), 'lifeboat-pitr-'));
    dataDir = join(root, 'data');
  } else {
    dataDir = point.into.dir;
    const found = await lstat(dataDir).catch(() => undefined);
    if (found && (!found.isDirectory() || (await readdir(dataDir)).length > 0)) return undefined;
    existed = found !== undefined;
  }
  let layout: BaseLayout | undefined;
  const reset = async () => {
    layout?.destroy();
    layout = undefined;
    if (!existed) await rm(root ?? dataDir, { recursive: true, force: true });
    else for (const name of await readdir(dataDir).catch(() => [] as string[])) await rm(join(dataDir, name), { recursive: true, force: true });
  };
  return {
    artifacts: [BASE_BACKUP_ARTIFACT],
    dataDir,
    ...(root ? { root } : {}),
    existed,
    layout: () => (layout?.writableFinished ? layout : undefined),
    async open() {
      await reset();
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (owner) await chown(dataDir, owner.uid, owner.gid);
      ctx.step(`laying out base backup ${ctx.manifest.id} in ${dataDir} as it is read and verified (the folder was empty; no PostgreSQL can start on it until the proof has passed: ${HELD_BACK} is written last)`);
      layout = new BaseLayout(dataDir, owner ? { owner } : {});
      return layout;
    },
    reset,
  };
}

/**
 * Restore to a point: the proven base backup laid out in the data directory,
 * checked with pg_verifybackup, recovered by a PostgreSQL this restore runs
 * itself (restore_command = lifeboat wal get), and stopped cleanly so the
 * folder is ready for `pg_ctl start` on the new timeline; or recovered into a
 * throwaway server (`--to ephemeral`) that is checked and stopped.
 */
export async function restoreToPoint(ctx: RestoreContext<PostgresConfig>): Promise<RestoreOutcome> {
  const point = pointOf(ctx)!;
  const tools = await preflightPoint(ctx, point);
  if (point.into.kind === 'ephemeral') {
    const server = await startRecoveredPostgres(ctx, point.target, tools);
    try {
      if (point.into.keep) await holdOpen(ctx, server);
    } finally {
      await server.stop();
    }
    return { target: `a throwaway PostgreSQL recovered to ${describeTarget(point.target)}`, checks: server.checks };
  }
  return recoverIntoDir(ctx, point.target, point.into.dir, point.into.clean, tools);
}

/** A recovered throwaway PostgreSQL, running: connect with `env` (PG* variables; the password travels only there). */
export interface RecoveredServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  database: string;
  password: string;
  /** `postgres://user@127.0.0.1:port/database`, without the password. */
  url: string;
  env: Record<string, string>;
  /** What recovery reached, and the row counts of `verify.tables`. */
  checks: RestoreCheck[];
  /** Stops the server and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Library function (the table-level restore's `--as-of` calls it): recovers the
 * proven base backup of `ctx.manifest` to `target` in a throwaway data
 * directory and leaves that PostgreSQL running on 127.0.0.1 with a fresh random
 * password for the component's user. `stop()` when done.
 */
export async function startRecoveredPostgres(ctx: RestoreContext<PostgresConfig>, target: RecoveryTarget, tools?: Tools): Promise<RecoveredServer> {
  tools ??= await preflightPoint(ctx, { target, into: { kind: 'ephemeral', keep: false } });
  // Laid out while it was proven (pointSink), or now.
  const laid = laidOutIn(ctx);
  const root = laid?.root ?? (await mkdtemp(join(tmpdir(), 'lifeboat-pitr-')));
  let recovered: Recovered | undefined;
  try {
    if (tools.owner) await chown(root, tools.owner.uid, tools.owner.gid);
    const dataDir = laid?.dataDir ?? join(root, 'data');
    if (!laid) await mkdir(dataDir, { mode: 0o700 });
    recovered = await recover(ctx, target, dataDir, tools, true);
    const password = randomBytes(18).toString('base64url');
    await recovered.sql(`ALTER ROLE ${quoteIdent(recovered.user)} PASSWORD '${password}'`);
    const { user, database } = recovered;
    const port = recovered.server.port;
    const server = recovered.server;
    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      user,
      database,
      password,
      url: `postgres://${user}@127.0.0.1:${port}/${database}`,
      env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database },
      checks: recovered.checks,
      stop: () => (stopping ??= server.stop(30_000).then(() => rm(root, { recursive: true, force: true }))),
    };
  } catch (err) {
    await recovered?.server.stop(30_000);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** `--keep`: a 0600 file with the connection variables, then wait for Ctrl-C / SIGTERM. */
async function holdOpen(ctx: RestoreContext<PostgresConfig>, server: RecoveredServer): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-pitr-connect-'));
  const file = join(dir, 'connection.env');
  try {
    await writeFile(file, Object.entries(server.env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
    ctx.step(`the recovered server is running at ${server.url}; its password is in ${file} (0600): set -a; . ${file}; psql — Ctrl-C stops it and removes it`);
    if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function recoverIntoDir(ctx: RestoreContext<PostgresConfig>, target: RecoveryTarget, dir: string, clean: boolean, tools: Tools): Promise<RestoreOutcome> {
  // Laid out while it was proven into this folder, empty or new then (pointSink): nothing else is in it.
  const laid = laidOutIn(ctx, dir);
  const existed =
    laid?.existed ??
    (await lstat(dir).then(
      () => true,
      () => false,
    ));
  if (!laid && existed && (await readdir(dir)).includes('postmaster.pid')) {
    throw new LifeboatError(`${dir} holds postmaster.pid: a server may be running on it; stop it (hooks.beforeRestore) and try again; nothing was changed`);
  }
  let laidOut = laid !== undefined;
  try {
    if (!laid && existed && clean) {
      ctx.step(`emptying ${dir} (--clean)`);
      for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    }
    if (!existed && !laid) await mkdir(dir, { mode: 0o700 });
    laidOut = true;
    const recovered = await recover(ctx, target, dir, tools, false);
    ctx.step('stopping the recovered server cleanly (shutdown checkpoint)');
    if (!(await recovered.server.stop())) {
      throw new LifeboatError(`the recovered server did not shut down cleanly: ${recovered.server.process.describeExit()}`);
    }
    await finishDataDir(dir, recovered.newTimeline, tools.owner);
    ctx.step(`${dir} is ready: pg_ctl -D ${dir} start (it continues on timeline ${recovered.newTimeline ?? 'as recovered'})`);
    return { target: dir, checks: recovered.checks };
  } catch (err) {
    if (laidOut) await markFailed(ctx, dir, existed, describeError(err));
    throw err;
  }
}

/** A failed restore never leaves a folder PostgreSQL could start: a folder it made is removed; one that existed is emptied and marked. */
async function markFailed(ctx: RestoreContext<PostgresConfig>, dir: string, existed: boolean, reason: string): Promise<void> {
  try {
    if (!existed) {
      await rm(dir, { recursive: true, force: true });
      ctx.warn(`${dir} was removed: the restore failed after it had been laid out`);
      return;
    }
    for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    await writeFile(join(dir, FAILED_MARKER), `lifeboat restore to a point failed at ${new Date().toISOString()}: ${reason}\n`);
    ctx.warn(`${dir} was emptied and holds ${FAILED_MARKER}: the restore failed after it had been laid out`);
  } catch (err) {
    ctx.warn(`could not clear ${dir} after the failed restore (${describeError(err)}); do not start PostgreSQL on it — delete it`);
  }
}

interface Recovered {
  server: PostgresOnDataDir;
  user: string;
  database: string;
  checks: RestoreCheck[];
  newTimeline?: number;
  sql(text: string): Promise<void>;
}

/**
 * Lays the base backup out in `dataDir`, checks it with pg_verifybackup,
 * writes recovery.signal and the recovery settings, and runs PostgreSQL on it
 * until it has left recovery; resolves with the server still running.
 */
async function recover(ctx: RestoreContext<PostgresConfig>, target: RecoveryTarget, dataDir: string, tools: Tools, tcp: boolean): Promise<Recovered> {
  try {
    return await recoverSteps(ctx, target, dataDir, tools, tcp);
  } catch (err) {
    // The prefetcher starts while the base backup is checked: it stops before anything clears the folder it writes in.
    await endPrefetch(dataDir);
    throw err;
  }
}

async function recoverSteps(ctx: RestoreContext<PostgresConfig>, target: RecoveryTarget, dataDir: string, tools: Tools, tcp: boolean): Promise<Recovered> {
  const facts = ctx.manifest.facts.baseBackup as BaseBackupFacts;
  const { owner, binDir } = tools;
  if (owner) await chown(dataDir, owner.uid, owner.gid);
  await chmod(dataDir, 0o700);

  const env = Object.fromEntries(Object.entries(ctx.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const wantedSharedBuffers = ctx.config.pitr?.recovery.sharedBuffers ?? 'auto';
  let sharedBuffers: number | undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'lifeboat-manifest-'));
  // The proven backup_manifest, for pg_verifybackup: fetched while the layout is finished and handed over.
  const manifest = join(scratch, 'backup_manifest');
  const downloaded = ctx.download(BACKUP_MANIFEST_ARTIFACT, manifest);
  downloaded.catch(() => undefined); // awaited below, or before the scratch folder goes
  try {
    // Laid out as it was proven (pointSink), or now from the proven copy in the spool.
    let layout = laidOutIn(ctx, dataDir)?.layout();
    if (!layout) {
      ctx.step(`laying out base backup ${ctx.manifest.id} in ${dataDir}`);
      layout = new BaseLayout(dataDir, owner ? { owner } : {});
      // The proven copy: a spool file, or a local store's file held open since it was hashed (then checked unchanged after).
      const base = await ctx.localFile(BASE_BACKUP_ARTIFACT);
      try {
        await pipeline(createReadStream(base.path, { highWaterMark: 1024 * 1024 }), layout, { signal: ctx.signal });
        await base.unchanged();
      } finally {
        await base.release();
      }
    }
    // Everything in the folder (it was empty) was made by the layout, already the owner's.
    await layout.finish();
    // The prefetcher starts fetching the first segments now, while pg_verifybackup reads the files (it ignores pg_wal,
    // where the prefetch folder is): recovery's first ask then finds its segment ready. Whatever fails from here on,
    // recover() stops the prefetcher before the caller clears the folder.
    await prefetchFromStart(ctx, dataDir, owner, env);
    // The small files to disk too, while pg_verifybackup reads them: one syncfs (`sync -f`) of the folder's file system.
    // PostgreSQL fsyncs every file of the folder before it recovers; clean, that pass took 0.07 s instead of 0.2–0.4 s.
    // That pass stays the guarantee: a sync that fails or is missing only loses the head start.
    const synced = runCommand('sync', ['-f', dataDir], { env: ctx.env, signal: ctx.signal }).then(
      () => undefined,
      () => undefined,
    );
    // The folder's own shared_buffers is asked of PostgreSQL while pg_verifybackup reads the files.
    const configured = wantedSharedBuffers === 'auto' ? configuredSharedBuffers({ binDir, dataDir, env, ...(owner ? { owner } : {}) }) : Promise.resolve(0);
    configured.catch(() => undefined);
    await downloaded;
    await runCommand(join(binDir, 'pg_verifybackup'), ['-n', '-q', '-m', manifest, dataDir], { env: ctx.env });
    ctx.step('pg_verifybackup: every file of the base backup matches its backup_manifest');
    sharedBuffers = recoverySharedBuffers(wantedSharedBuffers, await configured, hostMemory());
    // Its big files went to disk while the rest was laid out and checked (PostgreSQL's own fsync pass then finds them clean).
    await Promise.all([layout.flushed(), synced]);
  } finally {
    await downloaded.catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }

  const self = ctx.selfCommand!.map(shellQuote).join(' ');
  const settings = {
    // A prefetched segment is handed over by the shell, node starts only for the rest (prefetch-folder.ts).
    restore_command: prefetchRestoreCommand({
      fullCommand: `${self} --plan ${shellQuote(ctx.planFile)} wal get ${shellQuote(ctx.component)} %f %p`,
      component: ctx.component,
      systemIdentifier: facts.systemIdentifier,
    }),
    ...recoverySettings(target),
  };
  const auto = join(dataDir, 'postgresql.auto.conf');
  const before = await readFile(auto, 'utf8').catch(() => '');
  const block = [SETTINGS_BEGIN, ...Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`), SETTINGS_END, ''].join('\n');
  await writeFile(auto, `${before}${before && !before.endsWith('\n') ? '\n' : ''}${block}`, { mode: 0o600 });
  await writeFile(join(dataDir, 'recovery.signal'), '', { mode: 0o600 });
  if (owner) {
    await chown(auto, owner.uid, owner.gid);
    await chown(join(dataDir, 'recovery.signal'), owner.uid, owner.gid);
  }

  const lines: string[] = [];
  let restoredFile: string | undefined;
  // restore_command's own lines (its stderr reaches the server's): how many segments came prefetched.
  const fetched = { segments: 0, prefetched: 0 };
  // The server says when it has left recovery: the poll below wakes at once instead of at its next turn.
  let wake: () => void = () => {};
  let ready = false;
  const memory = sharedBuffers === undefined ? '' : `; shared_buffers ${formatBytes(sharedBuffers)}${wantedSharedBuffers === 'auto' ? ' (pitr.recovery.sharedBuffers: auto)' : ''}`;
  ctx.step(`starting PostgreSQL ${facts.serverVersion.split(' ')[0]} on ${dataDir} to replay WAL to ${describeTarget(target)} (restore_command: lifeboat wal get${memory})`);
  const server = await startPostgresOnDataDir({
    binDir,
    dataDir,
    ...(owner ? { owner } : {}),
    env,
    tcp,
    settings: {
      // This run only: nothing archived from here (the server the hooks start archives as configured), readable while it recovers.
      archive_mode: 'off',
      hot_standby: 'on',
      ...(sharedBuffers === undefined ? {} : { shared_buffers: `${Math.floor(sharedBuffers / 1024)}kB` }),
      log_statement: 'none',
      log_min_duration_statement: '-1',
    },
    onLine: (line) => {
      if (/LOG: {2}restored log file "([^"]+)"/.test(line)) restoredFile = /"([^"]+)"/.exec(line)![1];
      const got = /lifeboat: wal get [0-9A-F]{24}: (?:\d+ bytes )?from (.+?), sha256 checked/.exec(line);
      if (got) {
        fetched.segments++;
        if (got[1] === 'the prefetch folder') fetched.prefetched++;
      }
      if (/recovery stopping|redo done|selected new timeline|last completed transaction|recovery ended before|consistent recovery state|FATAL|PANIC|archive recovery complete/.test(line)) lines.push(line);
      if (/database system is ready to accept connections/.test(line)) {
        ready = true;
        wake();
      }
    },
  });
  const { user, database } = await connectionOf(ctx);
  const connect = async () => {
    const client = new pg.Client({ host: server.socketDir, port: server.port, user, database, application_name: 'lifeboat', connectionTimeoutMillis: 5_000 });
    await client.connect();
    return client;
  };
  try {
    const limit = Math.max(ctx.config.rto, 10 * 60_000);
    const deadline = Date.now() + limit;
    let lastProgress = Date.now();
    let lastShown: string | undefined;
    for (;;) {
      if (ctx.signal.aborted) throw new LifeboatError('the restore was cancelled during recovery');
      if (!server.process.running) throw recoveryFailure(lines, server, target);
      const state = await connect()
        .then(async (client) => {
          try {
            return (await client.query<{ recovering: boolean; lsn: string | null }>('SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS lsn')).rows[0];
          } finally {
            await client.end().catch(() => undefined);
          }
        })
        .catch(() => undefined);
      if (state && !state.recovering) {
        // Promoted: no more wal get; the prefetcher stops and its folder goes before the data directory is handed over.
        await endPrefetch(dataDir);
        break;
      }
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        const at = state?.lsn ? `LSN ${state.lsn}` : restoredFile ? `WAL file ${restoredFile}` : undefined;
        if (at && at !== lastShown) ctx.step(`recovering: replayed up to ${at}`);
        lastShown = at;
      }
      if (Date.now() > deadline) {
        throw new LifeboatError(`recovery had not finished after ${formatDuration(limit)} (the component's rto, at least 10 minutes); it was stopped`);
      }
      // Every 250 ms, or as soon as the server logs that it accepts (read-write) connections: the next poll then sees the promotion.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => {
          timer = setTimeout(r, ready ? 25 : 250);
          wake = r;
        }),
        server.process.exited,
      ]);
      clearTimeout(timer);
      wake = () => {};
    }
    const newTimeline = Number(/selected new timeline ID: (\d+)/.exec(lines.join('\n'))?.[1]) || undefined;
    const stopLine = lines.find((l) => /recovery stopping/.test(l));
    const redo = /redo done at ([0-9A-F]+\/[0-9A-F]+)/.exec(lines.join('\n'))?.[1];
    const lastCommit = /last completed transaction was at log time (.+)$/m.exec(lines.join('\n'))?.[1];
    // PostgreSQL's own measure of the replay (its "redo done … elapsed: N s"), without the server's start and end-of-recovery checkpoint.
    const redoSeconds = /redo done at .* elapsed: ([\d.]+) s/.exec(lines.join('\n'))?.[1];
    const reached = [
      stopLine ? stopLine.replace(/^.*LOG: {2}/, '') : 'replayed to the end of the archived WAL',
      redo ? `redo done at ${redo}${redoSeconds ? ` in ${redoSeconds} s` : ''}` : '',
      lastCommit ? `last transaction at ${lastCommit}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const segments = fetched.segments > 0 ? `; ${fetched.segments} WAL segment(s) fetched, ${fetched.prefetched} of them prefetched` : '';
    ctx.step(`recovery finished: ${reached}${newTimeline ? `; promoted on timeline ${newTimeline}` : ''}${segments}`);
    const checks: RestoreCheck[] = [{ name: `recovered to ${describeTarget(target)}`, expected: describeTarget(target), actual: reached, ok: true }];
    const tables = ctx.config.verify.tables;
    if (tables.length > 0) {
      const client = await connect();
      try {
        // A table created after the point is simply not there yet: said, not a failed restore.
        const present = await existingTables(client, tables);
        const counts = await exactCounts(client, present, database);
        const atBackup = (ctx.manifest.facts.tables as Record<string, number> | undefined) ?? {};
        for (const table of tables) {
          if (!present.includes(table)) ctx.warn(`verify.tables lists ${table}, which does not exist at ${describeTarget(target)}`);
          checks.push({
            name: `rows in ${table} (at the point; not compared)`,
            expected: atBackup[table] ?? 'not recorded',
            actual: counts[table] ?? 'no such table at this point',
            ok: true,
          });
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return {
      server,
      user,
      database,
      checks,
      ...(newTimeline ? { newTimeline } : {}),
      sql: async (text) => {
        const client = await connect();
        try {
          await client.query(text);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    };
  } catch (err) {
    // recover() stops the prefetcher after this.
    await server.stop(30_000);
    throw err;
  }
}

/** Why the server left recovery without finishing it: PostgreSQL 15 exits FATAL when the target lies beyond the WAL it could get. */
function recoveryFailure(lines: string[], server: PostgresOnDataDir, target: RecoveryTarget): LifeboatError {
  if (lines.some((l) => /recovery ended before configured recovery target was reached/.test(l))) {
    return new LifeboatError(
      `recovery ended before ${describeTarget(target)} was reached: the archived WAL stops before it (PostgreSQL: "recovery ended before configured recovery target was reached"); nothing was promoted`,
    );
  }
  const why = lines.filter((l) => /FATAL|PANIC/.test(l)).at(-1) ?? server.process.output().at(-1) ?? 'no output';
  return new LifeboatError(`PostgreSQL stopped during recovery (${server.process.describeExit()}): ${why.replace(/^.*?(FATAL|PANIC): {2}/, '$1: ')}`);
}

/** Whom to connect as on the recovered server: the component's user and database (trusted on the private socket). */
async function connectionOf(ctx: RestoreContext<PostgresConfig>): Promise<{ user: string; database: string }> {
  const recorded = ctx.manifest.facts.database as string | undefined;
  try {
    const target = pgTarget(await ctx.secrets.resolve(ctx.config.url, `components.${ctx.component}.url`), `components.${ctx.component}.url`);
    return { user: target.user, database: recorded ?? target.database };
  } catch {
    // A host that restores may lack production's URL: the bootstrap superuser's usual name.
    return { user: 'postgres', database: recorded ?? 'postgres' };
  }
}

/**
 * After a clean stop: the recovery settings are taken out of
 * postgresql.auto.conf, and the new timeline's .history is marked ready, so
 * the server the hooks start (archive_mode on) archives it — a later restore
 * follows this timeline through it.
 */
async function finishDataDir(dataDir: string, newTimeline: number | undefined, owner: Owner | undefined): Promise<void> {
  const auto = join(dataDir, 'postgresql.auto.conf');
  const text = await readFile(auto, 'utf8');
  const start = text.indexOf(SETTINGS_BEGIN);
  const end = text.indexOf(SETTINGS_END);
  if (start >= 0 && end > start) await writeFile(auto, text.slice(0, start) + text.slice(end + SETTINGS_END.length + 1));
  if (newTimeline) {
    const history = `${newTimeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
    const status = join(dataDir, 'pg_wal', 'archive_status');
    const present = await stat(join(dataDir, 'pg_wal', history)).then(
      () => true,
      () => false,
    );
    const done = await stat(join(status, `${history}.done`)).then(
      () => true,
      () => false,
    );
    if (present && !done) {
      await mkdir(status, { recursive: true });
      await writeFile(join(status, `${history}.ready`), '');
      if (owner) await chown(join(status, `${history}.ready`), owner.uid, owner.gid);
    }
  }
}

/**
 * Starts the WAL prefetcher (`wal prefetch`, as the server's OS user, which
 * takes files out of its folder) at the base backup's first segment before
 * PostgreSQL starts, so the first segments recovery asks for are ready
 * rather than fetched one by one while it waits. Never fails the restore:
 * without it the first `wal get` starts one.
 */
async function prefetchFromStart(ctx: RestoreContext<PostgresConfig>, dataDir: string, owner: Owner | undefined, env: Record<string, string>): Promise<void> {
  const facts = ctx.manifest.facts.baseBackup as BaseBackupFacts;
  if (!ctx.config.pitr?.prefetch || !ctx.selfCommand) return;
  try {
    const timelineHex = facts.timeline.toString(16).toUpperCase().padStart(8, '0');
    const folder = await prefetchFolderOf(ctx.component, dataDir, timelineHex);
    const before = previousSegment(walFileOf(facts.timeline, facts.startLsn, facts.walSegmentBytes), facts.walSegmentBytes);
    if (!folder || !before) return;
    await recordPosition(folder, { file: before, segmentBytes: facts.walSegmentBytes, beforeRecovery: true });
    if (owner) await runCommand('chown', ['-R', `${owner.uid}:${owner.gid}`, folder.root], { env: ctx.env });
    const [command, ...prefix] = ctx.selfCommand;
    const child = spawn(command!, [...prefix, '--plan', ctx.planFile, 'wal', 'prefetch', ctx.component, '--data-dir', dataDir, '--timeline', timelineHex], {
      cwd: dataDir,
      env: prefetcherEnv(env),
      ...(owner && process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {}),
      // Its own session, as when `wal get` starts it; it stops with the server (endPrefetch, or on its own).
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', (err) => ctx.warn(`cannot start the WAL prefetcher: ${err.message}`));
    child.unref();
  } catch (err) {
    ctx.warn(`cannot prefetch the first WAL segments: ${describeError(err)}; recovery fetches them one by one`);
  }
}

/** A word for the shell PostgreSQL runs restore_command with; `%` doubled, as PostgreSQL reads `%f`/`%p` itself. */
function shellQuote(word: string): string {
  const quoted = /^[A-Za-z0-9_./:@+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '%%');
}
