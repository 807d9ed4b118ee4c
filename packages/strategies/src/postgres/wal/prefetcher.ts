import { createWriteStream } from 'node:fs';
import { appendFile, open, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LockHeldError, acquireLock, describeError, type EngineContext, type HostLock } from '@lifeboat/core';
import { entryContent, findEntry } from './get.js';
import {
  PREFETCHER_LOG,
  folderExists,
  nextSegments,
  prefetchFolderOf,
  prefetchedName,
  readPosition,
  readyFiles,
  dropPassed,
  serverRunning,
  windowToFetch,
  type PrefetchFolder,
} from './prefetch-folder.js';
import { pitrEntry, walComponent } from './wal-component.js';

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
}

export const PREFETCHER_DEFAULTS = { idleExitMs: 60_000, fetchDeadlineMs: 120_000, pollMs: 100, parallel: 4 } as const;

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
  const { idleExitMs, fetchDeadlineMs, pollMs } = { ...PREFETCHER_DEFAULTS, ...opts };
  const parallel = Math.min(count, opts.parallel ?? PREFETCHER_DEFAULTS.parallel);
  const { repositories } = walComponent(ctx, component);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const log = (line: string) => appendFile(join(folder.dir, PREFETCHER_LOG), `${new Date().toISOString()} ${line}\n`).catch(() => undefined);
  const inFlight = new Map<string, Promise<void>>();
  let fetched = 0;
  let stopped: WalPrefetcherResult['stopped'] = 'aborted';
  let position: string | undefined;
  let movedAt = Date.now();
  // Past the archive's end, or failed: not asked again until recovery moves.
  let end: string | undefined;
  const failed = new Set<string>();

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
        opts.onReady?.(file);
        return;
      } catch (err) {
        if (signal.aborted && stop.signal.aborted) return;
        await log(`${file} from ${repository.description}: ${describeError(err)}`);
      }
    }
    if (absent === repositories.length) {
      if (end === undefined || file < end) end = file;
    } else failed.add(file);
  };

  try {
    for (;;) {
      if (stop.signal.aborted) break;
      if (!(await folderExists(folder))) {
        stopped = 'folder-removed';
        break;
      }
      if (!(await serverRunning(dataDir))) {
        stopped = 'server-stopped';
        break;
      }
      const now = await readPosition(folder);
      if (now && now.file !== position) {
        position = now.file;
        movedAt = Date.now();
        end = undefined;
        failed.clear();
        await dropPassed(folder, position);
      }
      if (inFlight.size === 0 && Date.now() - movedAt > idleExitMs) {
        stopped = 'idle';
        break;
      }
      if (now) {
        const window = nextSegments(now.file, now.segmentBytes, count);
        const ready = new Set((await readyFiles(folder)).keys());
        const skip = new Set([...inFlight.keys(), ...failed]);
        for (const file of windowToFetch(window, ready, skip, end, parallel - inFlight.size)) {
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

/** One verified file into the folder: written to a dot-file, fsync'd, renamed to `<file>.<sha256>` only after both hashes matched. */
async function fetchInto(ctx: EngineContext, folder: PrefetchFolder, repository: Parameters<typeof entryContent>[1], component: string, entry: Parameters<typeof entryContent>[3], signal: AbortSignal): Promise<void> {
  const content = await entryContent(ctx, repository, component, entry);
  const tmp = join(folder.dir, `.${entry.file}.${process.pid}.tmp`);
  try {
    await pipeline(content, createWriteStream(tmp, { mode: 0o600 }), { signal });
    const handle = await open(tmp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(tmp, join(folder.dir, prefetchedName(entry.file, entry.sha256)));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
