import { createWriteStream } from 'node:fs';
import { appendFile, link, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LockHeldError, acquireLock, describeError, type EngineContext, type HostLock } from '@lifeboat/core';
import { entryContent, findEntry } from './get.js';
import {
  ABSENT_FRESH_SECONDS,
  PREFETCHER_LOG,
  absentName,
  folderExists,
  nextSegments,
  prefetchFolderOf,
  prefetchedName,
  rereadName,
  claimForThisBoot,
  readPosition,
  readyFiles,
  dropPassed,
  serverRunning,
  windowToFetch,
  type PrefetchFolder,
  type PrefetchPosition,
} from './prefetch-folder.js';
import { listSpooled } from './spool.js';
import { pitrEntry, walComponent, walSpool } from './wal-component.js';

export interface WalPrefetcherOptions {
  /** Exit when recovery has not moved the window for this long. */
  idleExitMs?: number;
  /** Give up one file's fetch after this long (the `wal get` that wants it fetches it itself). */
  fetchDeadlineMs?: number;
  /** How often it looks at the position and at the server. */
  pollMs?: number;
  /** Files fetched at once. */
  parallel?: number;
  /** Tests: called when a verified file lands in the folder. */
  onReady?: (file: string) => void;
  /** How long it waits for the server to appear (a restore starts the prefetcher before PostgreSQL). */
  serverStartMs?: number;
  /** How often it looks again for the archive's end while recovery waits there (its absent marker stays fresh). */
  endRecheckMs?: number;
}

export const PREFETCHER_DEFAULTS = { idleExitMs: 60_000, fetchDeadlineMs: 120_000, pollMs: 100, parallel: 4, serverStartMs: 60_000, endRecheckMs: (ABSENT_FRESH_SECONDS * 1000) / 2 } as const;

export interface WalPrefetcherResult {
  fetched: number;
  stopped: 'idle' | 'server-stopped' | 'folder-removed' | 'aborted' | 'another-prefetcher' | 'off';
}

/**
 * `wal prefetch` (started by `wal get`): keeps the `pitr.prefetch` segments
 * after recovery's position verified in the prefetch folder of `dataDir`,
 * several at once, until recovery stops asking (idle), the server stops, or
 * the folder is removed — then deletes the folder, so nothing it fetched
 * outlives it. A file goes in only with its entry's system identifier, after
 * both its stored and its plaintext sha256 matched; a file no destination has
 * ends the window there (never invented), and a failed fetch is left to the
 * `wal get` that will ask for it (it reports the problem then).
 */
export async function runWalPrefetcher(ctx: EngineContext, component: string, dataDir: string, timelineHex: string, opts: WalPrefetcherOptions = {}): Promise<WalPrefetcherResult> {
  const count = pitrEntry(ctx, component).pitr.prefetch;
  const folder = await prefetchFolderOf(component, dataDir, timelineHex);
  if (!folder || !(await folderExists(folder))) return { fetched: 0, stopped: 'folder-removed' };
  if (count === 0) {
    await rm(folder.dir, { recursive: true, force: true });
    return { fetched: 0, stopped: 'off' };
  }
  let lock: HostLock;
  try {
    lock = acquireLock(folder.dir, 'prefetcher', `wal prefetch ${component}`);
  } catch (err) {
    if (err instanceof LockHeldError) return { fetched: 0, stopped: 'another-prefetcher' };
    throw err;
  }
  // Ready files of another boot are not trusted by the shell path: gone before this boot's marker is written.
  await claimForThisBoot(folder);
  const { idleExitMs, fetchDeadlineMs, pollMs, serverStartMs, endRecheckMs } = { ...PREFETCHER_DEFAULTS, ...opts };
  const startedAt = Date.now();
  let serverSeen = false;
  const parallel = Math.min(count, opts.parallel ?? PREFETCHER_DEFAULTS.parallel);
  const { repositories } = walComponent(ctx, component);
  const spool = walSpool(ctx, component);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const log = (line: string) => appendFile(join(folder.dir, PREFETCHER_LOG), `${new Date().toISOString()} ${line}\n`).catch(() => undefined);
  const inFlight = new Map<string, Promise<void>>();
  let fetched = 0;
  let stopped: WalPrefetcherResult['stopped'] = 'aborted';
  let position: string | undefined;
  let known: PositionState = {};
  let movedAt = Date.now();
  // Past the archive's end, or failed: not asked again until recovery moves.
  let end: string | undefined;
  let endSeenAt = 0;
  const failed = new Set<string>();
  // Files it put in the folder: one that has left it was taken by restore_command's shell path, which records no position.
  const placed = new Set<string>();

  // restore_command answers "not found" from the marker while it is fresh (prefetch-folder.ts) — never for a file the host's spool (pitr.async) still holds.
  const markAbsent = async (file: string) => {
    const spooled = spool ? await listSpooled(spool).then((files) => files.some((f) => f.name === file), () => true) : false;
    if (spooled) {
      await rm(join(folder.dir, absentName(file)), { force: true });
      await log(`${file}: in no destination, and in this host's WAL spool: no absent marker (wal get takes it from the spool)`);
    }
    else await writeFile(join(folder.dir, absentName(file)), '', { mode: 0o600 }).catch(() => undefined);
  };
  // PostgreSQL asks whether the next timeline's history exists before it picks a timeline (at its start, and when it ends recovery).
  const nextTimelineHex = (parseInt(folder.timelineHex, 16) + 1).toString(16).toUpperCase().padStart(8, '0');
  const nextHistory = `${nextTimelineHex}.history`;
  let historySeenAt = 0;
  const lookForNextHistory = async () => {
    historySeenAt = Date.now();
    let absent = 0;
    for (const repository of repositories) {
      try {
        if (!(await findEntry(repository, component, nextHistory, nextTimelineHex))) absent++;
      } catch (err) {
        await log(`${nextHistory} in ${repository.description}: ${describeError(err)}`);
      }
    }
    if (absent === repositories.length) await markAbsent(nextHistory);
    else await rm(join(folder.dir, absentName(nextHistory)), { force: true });
  };

  const fetchOne = async (file: string) => {
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(fetchDeadlineMs)]);
    let absent = 0;
    for (const repository of repositories) {
      try {
        const entry = await findEntry(repository, component, file, folder.timelineHex);
        if (!entry) {
          absent++;
          continue;
        }
        if (entry.systemIdentifier !== folder.systemIdentifier) {
          throw new Error(`the archive holds ${file} of cluster ${entry.systemIdentifier}, and this data directory is of cluster ${folder.systemIdentifier}`);
        }
        await fetchInto(ctx, folder, repository, component, entry, signal);
        fetched++;
        placed.add(file);
        opts.onReady?.(file);
        return;
      } catch (err) {
        if (signal.aborted && stop.signal.aborted) return;
        await log(`${file} from ${repository.description}: ${describeError(err)}`);
      }
    }
    if (absent === repositories.length) {
      if (end === undefined || file < end) end = file;
      endSeenAt = Date.now();
      await markAbsent(file);
    } else failed.add(file);
  };

  try {
    for (;;) {
      if (stop.signal.aborted) break;
      if (!(await folderExists(folder))) {
        stopped = 'folder-removed';
        break;
      }
      if (await serverRunning(dataDir)) serverSeen = true;
      else if (serverSeen || Date.now() - startedAt > serverStartMs) {
        stopped = 'server-stopped';
        break;
      }
      known = nextPosition(known, await readPosition(folder), placed, await readyFiles(folder));
      const now = known.position;
      if (now && now.file !== position) {
        position = now.file;
        movedAt = Date.now();
        end = undefined;
        failed.clear();
        await dropPassed(folder, position);
      }
      // Recovery waiting at the end of the archive: look again, so the absent marker stays fresh (or the file is fetched once it is there).
      if (end !== undefined && Date.now() - endSeenAt > endRecheckMs) end = undefined;
      if (Date.now() - historySeenAt > endRecheckMs) await lookForNextHistory();
      if (inFlight.size === 0 && Date.now() - movedAt > idleExitMs) {
        stopped = 'idle';
        break;
      }
      if (now) {
        // Before recovery has asked for anything (a restore started this prefetcher ahead of PostgreSQL), only the first two:
        // PostgreSQL fsyncs the whole data directory (pg_wal and this folder too) before it asks, and every unsynced
        // 16 MiB here lengthens that.
        const window = nextSegments(now.file, now.segmentBytes, now.beforeRecovery ? Math.min(count, 2) : count);
        const ready = new Set((await readyFiles(folder)).keys());
        const skip = new Set([...inFlight.keys(), ...failed]);
        // Ramping up (one fetch, then one more per file placed): files come in recovery's order, so the first one asked
        // for is not finished last among `parallel` started together.
        for (const file of windowToFetch(window, ready, skip, end, Math.min(parallel, 1 + fetched) - inFlight.size)) {
          inFlight.set(
            file,
            fetchOne(file).finally(() => inFlight.delete(file)),
          );
        }
      }
      await Promise.race([new Promise((r) => setTimeout(r, pollMs)), ...inFlight.values()]);
    }
  } finally {
    stop.abort();
    ctx.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(inFlight.values());
    // Nothing it fetched outlives it: a later wal get starts a new prefetcher where recovery then is.
    lock.release();
    await rm(folder.dir, { recursive: true, force: true });
    // The last one out leaves no empty .lifeboat-prefetch behind (rmdir fails while another key's folder is there).
    await rmdir(folder.root).catch(() => undefined);
  }
  return { fetched, stopped };
}

/**
 * One verified file into the folder: written to a dot-file, renamed to
 * `<file>.<sha256>` only after both hashes matched. Not fsync'd: in this boot
 * it reads back as written, the folder's boot-id says which boot that was
 * (claimForThisBoot), whoever takes it in another boot hashes it again, and
 * the folder does not outlive the recovery.
 */
async function fetchInto(ctx: EngineContext, folder: PrefetchFolder, repository: Parameters<typeof entryContent>[1], component: string, entry: Parameters<typeof entryContent>[3], signal: AbortSignal): Promise<void> {
  const content = await entryContent(ctx, repository, component, entry);
  const tmp = join(folder.dir, `.${entry.file}.${process.pid}.tmp`);
  try {
    await pipeline(content, createWriteStream(tmp, { mode: 0o600 }), { signal });
    await rename(tmp, join(folder.dir, prefetchedName(entry.file, entry.sha256)));
    // When recovery ends it reads the last segment again: a second name (prefetch-folder.ts), deleted once recovery has passed it.
    await link(join(folder.dir, prefetchedName(entry.file, entry.sha256)), join(folder.dir, rereadName(entry.file, entry.sha256))).catch(() => undefined);
    await rm(join(folder.dir, absentName(entry.file)), { force: true });
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** What the prefetcher knows of recovery's position from one poll to the next. */
export interface PositionState {
  /** The file position.json named at the last poll. */
  recordedFile?: string;
  position?: PrefetchPosition;
}

/**
 * Recovery's position: the last file a `wal get` recorded, or a later one it
 * took from the folder by the shell path (a file this prefetcher placed that
 * has left the folder; `placed` loses the files that left). A position the
 * shell path moved stays until `wal get` records a new one — which is then
 * where recovery is, even behind (a restarted recovery asks again from its
 * checkpoint). Without that memory, the position fell back to the recorded
 * file once the taken files were forgotten, and the window behind recovery
 * was fetched again and again.
 */
export function nextPosition(state: PositionState, recorded: PrefetchPosition | undefined, placed: Set<string>, ready: ReadonlyMap<string, string>): PositionState {
  let taken: string | undefined;
  for (const file of placed) {
    if (ready.has(file)) continue;
    placed.delete(file);
    if (taken === undefined || file > taken) taken = file;
  }
  if (!recorded) return {};
  const base = recorded.file !== state.recordedFile || !state.position ? recorded : state.position;
  return { recordedFile: recorded.file, position: taken !== undefined && taken > base.file ? { file: taken, segmentBytes: base.segmentBytes } : base };
}
