import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// Lean imports only: `wal push` loads this module on its lean path, once per WAL segment.
import { LifeboatError, formatBytes, isAlive } from '@lifeboat/core/lean';
import { parseWalFileName, segmentFile, type WalFile } from './wal-file.js';

/**
 * The local spool of `pitr.async`, one folder per component:
 *
 *   <spool>/<component>/<systemIdentifier>/<file>          the WAL file as PostgreSQL wrote it (fsync'd, renamed into place)
 *   <spool>/<component>/<systemIdentifier>/<file>.sha256   its sha256, for `wal get` from the spool
 *   <spool>/<component>/pusher.lock                        the running pusher (core's host lock: pid, since)
 *   <spool>/<component>/pusher-state.json                  what the pusher last delivered and what fails
 *   <spool>/<component>/pusher.log                         the started pusher's stderr
 *
 * The system identifier is a folder because a history or backup file has no
 * header to name its cluster, and the pusher has no pg_control to read.
 */
export interface WalSpool {
  component: string;
  /** `<spool>/<component>` */
  dir: string;
  maxBytes: number;
  /** The plan it comes from, for messages that name the field. */
  planFile: string;
}

export interface SpooledFile {
  name: string;
  systemIdentifier: string;
  path: string;
  bytes: number;
  spooledAt: Date;
}

export interface PusherFailure {
  file: string;
  message: string;
  at: string;
  attempts: number;
}

export interface PusherState {
  lastDelivered?: { file: string; at: string };
  /** Files that failed and are still in the spool, by name. */
  failures: Record<string, PusherFailure>;
}

export const pusherLockName = 'pusher';
const STATE = 'pusher-state.json';
export const PUSHER_LOG = 'pusher.log';
const SHA = '.sha256';

/**
 * Copies a WAL file into the spool and resolves only once it is durable there:
 * file and checksum written to temp names and fsync'd, renamed, the folder
 * fsync'd. The same file spooled again is `already-spooled`; a different one
 * under the same name is refused, nothing overwritten. Over `maxSize` it is
 * refused, so PostgreSQL keeps the segment and retries: WAL is never dropped.
 */
export async function spoolWalFile(spool: WalSpool, file: WalFile): Promise<{ outcome: 'spooled' | 'already-spooled'; path: string }> {
  const dir = join(spool.dir, file.systemIdentifier);
  const path = join(dir, file.name);
  const sha256 = createHash('sha256').update(file.content).digest('hex');
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new LifeboatError(`cannot read the spooled ${path}: ${err.message}`);
  });
  if (existing) {
    if (!existing.equals(file.content)) {
      throw new LifeboatError(
        `${file.name} is already in the WAL spool (${path}) with different content (${existing.length} bytes there, ${file.content.length} bytes now); nothing was overwritten`,
      );
    }
    if (!(await exists(path + SHA))) await durableWrite(dir, file.name + SHA, Buffer.from(sha256 + '\n'));
    return { outcome: 'already-spooled', path };
  }
  const held = await listSpooled(spool);
  const bytes = held.reduce((sum, f) => sum + f.bytes, 0);
  if (bytes + file.content.length > spool.maxBytes) {
    throw new LifeboatError(
      `the WAL spool of ${spool.component} (${spool.dir}) holds ${held.length} file(s), ${formatBytes(bytes)} of its maxSize ${formatBytes(spool.maxBytes)} (${spool.planFile}: components.${spool.component}.pitr.async.maxSize), so ${file.name} is not taken; PostgreSQL keeps it and retries. The pusher is behind or failing: see lifeboat wal backlog ${spool.component}`,
    );
  }
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // A new folder is durable only once the folder holding it is synced too.
  if (created) for (const parent of parentsUpTo(created, dir)) await syncDir(parent);
  // Checksum first: a data file in the spool always has one beside it.
  await durableWrite(dir, file.name + SHA, Buffer.from(sha256 + '\n'), false);
  await durableWrite(dir, file.name, file.content);
  return { outcome: 'spooled', path };
}

/** `created` (the first folder mkdir made) up to `dir`: the folders whose parents must be synced. */
function parentsUpTo(created: string, dir: string): string[] {
  const parents: string[] = [];
  for (let d = dir; d.length >= created.length; d = join(d, '..')) parents.push(join(d, '..'));
  return parents;
}

/** temp name → write → fsync → rename (→ fsync the folder). */
async function durableWrite(dir: string, name: string, bytes: Buffer, syncFolder = true): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeSynced(tmp, bytes);
    await rename(tmp, join(dir, name));
  } catch (err) {
    await rm(tmp, { force: true });
    throw new LifeboatError(`cannot write ${join(dir, name)} into the WAL spool: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (syncFolder) await syncDir(dir);
}

async function writeSynced(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The WAL files in the spool, oldest name first (temp files, checksums and the pusher's files are not). */
export async function listSpooled(spool: WalSpool): Promise<SpooledFile[]> {
  const files: SpooledFile[] = [];
  for (const cluster of await readdirOrEmpty(spool.dir)) {
    if (!/^\d+$/.test(cluster)) continue;
    for (const name of await readdirOrEmpty(join(spool.dir, cluster))) {
      if (!parseWalFileName(name)) continue;
      const path = join(spool.dir, cluster, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile()) files.push({ name, systemIdentifier: cluster, path, bytes: info.size, spooledAt: info.mtime });
    }
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A spooled file as walPush reads one from pg_wal: segments checked against their header. */
export async function readSpooled(spooled: SpooledFile): Promise<WalFile> {
  const parsed = parseWalFileName(spooled.name)!;
  const content = await readFile(spooled.path);
  if (parsed.kind === 'segment' || parsed.kind === 'partial') {
    const file = segmentFile(parsed, content, spooled.path);
    if (file.systemIdentifier !== spooled.systemIdentifier) {
      throw new LifeboatError(`${spooled.path} says cluster ${file.systemIdentifier} in its header but lies in the spool folder of ${spooled.systemIdentifier}`);
    }
    return file;
  }
  return { ...parsed, content, systemIdentifier: spooled.systemIdentifier };
}

/** Delivered: out of the spool (a crash before this only makes the next pusher find it already archived). */
export async function removeSpooled(spooled: SpooledFile): Promise<void> {
  await rm(spooled.path, { force: true });
  await rm(spooled.path + SHA, { force: true });
}

/**
 * `wal get` from the spool: the file written to `destination` (through
 * `<destination>.tmp`, fsync'd, renamed) only when it matches the sha256
 * recorded when it was spooled. Undefined when the spool does not hold it.
 */
export async function getSpooled(spool: WalSpool, fileName: string, destination: string): Promise<{ bytes: number; path: string } | undefined> {
  const found = (await listSpooled(spool)).filter((f) => f.name === fileName);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new LifeboatError(`the WAL spool holds ${fileName} for ${found.length} clusters (${found.map((f) => f.systemIdentifier).join(', ')}); cannot tell which to use`);
  const spooled = found[0]!;
  const [content, recorded] = await Promise.all([readFile(spooled.path), readFile(spooled.path + SHA, 'utf8').catch(() => undefined)]);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (recorded?.trim() !== sha256) {
    throw new LifeboatError(`the spooled ${spooled.path} does not match its recorded sha256 (${recorded ? `${recorded.trim().slice(0, 12)}…` : 'none recorded'}, read ${sha256.slice(0, 12)}…)`);
  }
  const tmp = `${destination}.tmp`;
  try {
    await writeSynced(tmp, content);
    await rename(tmp, destination);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes: content.length, path: spooled.path };
}

/** The pid of the live pusher holding the spool's lock, if any. */
export async function runningPusher(spool: WalSpool): Promise<{ pid: number; since?: string } | undefined> {
  try {
    const holder = JSON.parse(await readFile(join(spool.dir, `${pusherLockName}.lock`), 'utf8')) as { pid?: number; startedAt?: string };
    if (typeof holder.pid === 'number' && isAlive(holder.pid)) return { pid: holder.pid, ...(holder.startedAt ? { since: holder.startedAt } : {}) };
  } catch {
    // no lock, or half-written: nobody (a half-written lock is stale to acquireLock too)
  }
  return undefined;
}

export async function readPusherState(spool: WalSpool): Promise<PusherState> {
  try {
    const state = JSON.parse(await readFile(join(spool.dir, STATE), 'utf8')) as Partial<PusherState>;
    return { ...(state.lastDelivered ? { lastDelivered: state.lastDelivered } : {}), failures: state.failures ?? {} };
  } catch {
    return { failures: {} };
  }
}

/** Written by the pusher only (it holds the lock); temp + rename, so a reader never sees half of it. */
export async function writePusherState(spool: WalSpool, state: PusherState): Promise<void> {
  const tmp = join(spool.dir, `.${STATE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, join(spool.dir, STATE));
}

/** What `status` shows of an async component: how much WAL is on this host only, and whether the pusher is stuck. */
export interface WalSpoolBacklog {
  component: string;
  /** `<spool>/<component>` */
  spool: string;
  /** WAL files spooled and not yet delivered where `require` asks. */
  files: number;
  bytes: number;
  maxBytes: number;
  /** The longest-waiting file: the RPO for a lost host is at least its age. */
  oldest?: { file: string; spooledAt: string; ageSeconds: number };
  /** The most recent failure of a file still in the spool (a conflict, a destination down…). */
  lastError?: PusherFailure;
  /** Files in the spool whose last delivery attempt failed. */
  failing: number;
  lastDelivered?: { file: string; at: string };
  pusher: { running: boolean; pid?: number; since?: string };
}

export async function spoolBacklog(spool: WalSpool, now: Date): Promise<WalSpoolBacklog> {
  const [files, state, pusher] = await Promise.all([listSpooled(spool), readPusherState(spool), runningPusher(spool)]);
  const oldest = files.reduce<SpooledFile | undefined>((o, f) => (!o || f.spooledAt < o.spooledAt ? f : o), undefined);
  const waiting = new Set(files.map((f) => f.name));
  const failures = Object.values(state.failures).filter((f) => waiting.has(f.file));
  const lastError = failures.reduce<PusherFailure | undefined>((l, f) => (!l || f.at > l.at ? f : l), undefined);
  return {
    component: spool.component,
    spool: spool.dir,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    maxBytes: spool.maxBytes,
    ...(oldest
      ? { oldest: { file: oldest.name, spooledAt: oldest.spooledAt.toISOString(), ageSeconds: Math.max(0, Math.round((now.getTime() - oldest.spooledAt.getTime()) / 1000)) } }
      : {}),
    ...(lastError ? { lastError } : {}),
    failing: failures.length,
    ...(state.lastDelivered ? { lastDelivered: state.lastDelivered } : {}),
    pusher: pusher ? { running: true, ...pusher } : { running: false },
  };
}

/** Temp files of pushes that died before their rename (their pid is gone): debris, removed by the pusher. */
export async function removeSpoolDebris(spool: WalSpool): Promise<number> {
  let removed = 0;
  const dirs = [spool.dir, ...(await readdirOrEmpty(spool.dir)).filter((n) => /^\d+$/.test(n)).map((n) => join(spool.dir, n))];
  for (const dir of dirs) {
    for (const name of await readdirOrEmpty(dir)) {
      const m = /^\..*\.(\d+)\.tmp$/.exec(name);
      if (m && !isAlive(Number(m[1]))) {
        await rm(join(dir, name), { force: true });
        removed++;
      }
    }
  }
  return removed;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LifeboatError(`cannot read the WAL spool folder ${dir}: ${(err as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
