import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
// Lean imports only: the lean path of `wal get` (apps/runner/src/wal-get-lean.ts) takes files from here.
import { isAlive } from '@lifeboat/core/lean';
import { readControlSystemIdentifier, type WalFileName } from './wal-file.js';

/**
 * The prefetch folder of `wal get` (restore_command): while recovery asks
 * for segment N, a background prefetcher (`wal prefetch`) fetches the next
 * `pitr.prefetch` segments of the same timeline, each verified against its
 * entry before it is renamed in here, so the next `wal get` only renames it
 * into `%p`.
 *
 *   <data dir>/pg_wal/.lifeboat-prefetch/                                0700, the server's OS user
 *     <component>.<systemIdentifier>.<timeline>/                          one archive, one timeline
 *       000000010000000000000007.<sha256 of the plaintext>                verified, ready to hand over
 *       000000010000000000000007.reread.<sha256>                          a second name (hard link) for recovery's second read
 *       absent.000000010000000000000009                                  the prefetcher found no destination holding it (its mtime: when)
 *       boot-id           the boot the ready files were written in (see claimForThisBoot)
 *       position.json     the last file recovery asked for (the window starts after it)
 *       prefetcher.lock   the running prefetcher (its pid)
 *       prefetcher.log    its problems (the folder goes when it stops)
 *
 * Keyed by system identifier and timeline, so a file left behind never stands
 * in for another cluster's or timeline's file of the same name. In pg_wal:
 * the same file system as `%p` (a rename hands a file over), owned by the
 * user restore_command runs as, and pg_basebackup never copies it.
 */
export const PREFETCH_DIR = '.lifeboat-prefetch';
export const PREFETCH_POSITION = 'position.json';
/** core's host lock (acquireLock(dir, 'prefetcher', …)): JSON naming the pid. */
export const PREFETCHER_LOCK = 'prefetcher.lock';
export const PREFETCHER_LOG = 'prefetcher.log';
/** The kernel's boot id, as the running prefetcher wrote it (see claimForThisBoot). */
export const BOOT_MARKER = 'boot-id';
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

export interface PrefetchFolder {
  component: string;
  dataDir: string;
  /** `<pg_wal>/.lifeboat-prefetch` */
  root: string;
  /** `<root>/<component>.<systemIdentifier>.<timeline>` */
  dir: string;
  systemIdentifier: string;
  timelineHex: string;
}

export interface PrefetchPosition {
  file: string;
  /** xlp_seg_size of that file: how segment names count. */
  segmentBytes: number;
  /**
   * Recorded by a restore before it starts PostgreSQL: `file` is the one before the first recovery will ask for,
   * and recovery has asked for nothing yet.
   */
  beforeRecovery?: true;
}

const COMPONENT = /^[a-z0-9][a-z0-9_-]*$/;
const PREFETCHED = /^([0-9A-F]{24})\.([0-9a-f]{64})$/;
const REREAD = /^([0-9A-F]{24})\.reread\.([0-9a-f]{64})$/;

/**
 * The prefetch folder for a segment restore_command is to write to
 * `destination` (absolute). Only when `destination` is in a data directory's
 * pg_wal (as `%p` is) with a readable pg_control: anywhere else `wal get`
 * simply fetches.
 */
export async function prefetchFolderFor(component: string, destination: string, file: Pick<WalFileName, 'kind' | 'timelineHex'>): Promise<PrefetchFolder | undefined> {
  if (file.kind !== 'segment' || !COMPONENT.test(component)) return undefined;
  const pgWal = dirname(destination);
  if (basename(pgWal) !== 'pg_wal') return undefined;
  return prefetchFolderOf(component, dirname(pgWal), file.timelineHex);
}

export async function prefetchFolderOf(component: string, dataDir: string, timelineHex: string): Promise<PrefetchFolder | undefined> {
  const systemIdentifier = await readControlSystemIdentifier(dataDir).catch(() => undefined);
  if (!systemIdentifier) return undefined;
  const root = join(dataDir, 'pg_wal', PREFETCH_DIR);
  return { component, dataDir, root, dir: join(root, `${component}.${systemIdentifier}.${timelineHex}`), systemIdentifier, timelineHex };
}

/** The names of the `count` segments after `file` (same timeline), as PostgreSQL counts them for this segment size. */
export function nextSegments(file: string, segmentBytes: number, count: number): string[] {
  const m = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/.exec(file);
  if (!m || !(segmentBytes > 0) || 0x100000000 % segmentBytes !== 0) return [];
  const perLog = 0x100000000 / segmentBytes;
  let log = parseInt(m[2]!, 16);
  let seg = parseInt(m[3]!, 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    seg++;
    if (seg >= perLog) {
      seg = 0;
      log++;
    }
    if (log > 0xffffffff) break;
    names.push(`${m[1]}${hex8(log)}${hex8(seg)}`);
  }
  return names;
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

/** The segment before `file` on its timeline; undefined before the first one or for a name or size it cannot count. */
export function previousSegment(file: string, segmentBytes: number): string | undefined {
  const m = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/.exec(file);
  if (!m || !(segmentBytes > 0) || 0x100000000 % segmentBytes !== 0) return undefined;
  const perLog = 0x100000000 / segmentBytes;
  let log = parseInt(m[2]!, 16);
  let seg = parseInt(m[3]!, 16) - 1;
  if (seg < 0) {
    if (log === 0) return undefined;
    log--;
    seg = perLog - 1;
  }
  return `${m[1]}${hex8(log)}${hex8(seg)}`;
}

/** The marker the prefetcher leaves for a segment no destination had: restore_command answers "not found" from it while it is fresh. */
export function absentName(file: string): string {
  return `absent.${file}`;
}

/** How long an absent marker answers for the destinations (restore_command's shell path; the prefetcher looks again sooner). */
export const ABSENT_FRESH_SECONDS = 10;

/**
 * What the prefetcher should start fetching now: the window after the
 * position, minus what is ready, in flight, or at/after the archive's end
 * as last seen (`end`: the first name no destination had).
 */
export function windowToFetch(window: readonly string[], ready: ReadonlySet<string>, inFlight: ReadonlySet<string>, end: string | undefined, slots: number): string[] {
  return window.filter((name) => !ready.has(name) && !inFlight.has(name) && (end === undefined || name < end)).slice(0, Math.max(0, slots));
}

/** The verified files in the folder: segment name → file name (with its sha256). */
export async function readyFiles(folder: PrefetchFolder): Promise<Map<string, string>> {
  const ready = new Map<string, string>();
  for (const name of await readdir(folder.dir).catch(() => [] as string[])) {
    const m = PREFETCHED.exec(name);
    if (m) ready.set(m[1]!, name);
  }
  return ready;
}

export function prefetchedName(file: string, sha256: string): string {
  return `${file}.${sha256}`;
}

/**
 * A second name (hard link) of a prefetched file: when recovery ends it reads
 * the last segment once more (to start its new timeline), and the shell path
 * of restore_command finds it under this name. Deleted once recovery has
 * gone past the file.
 */
export function rereadName(file: string, sha256: string): string {
  return `${file}.reread.${sha256}`;
}

/** This boot's id (Linux: a random UUID per boot), or undefined where there is none to read. */
export async function currentBootId(file = BOOT_ID_FILE): Promise<string | undefined> {
  const id = (await readFile(file, 'utf8').catch(() => '')).trim();
  return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
}

/**
 * Makes the ready files in the folder this boot's, for the prefetcher that
 * has just taken the folder's lock: the shell path of restore_command hands a
 * ready file over without hashing it again when the folder's boot-id is the
 * kernel's (prefetchRestoreCommand). Within one boot a file renamed to
 * `<file>.<sha256>` after the prefetcher's own check reads back as written
 * (the page cache is the truth, and the rename made it whole at once); only a
 * crash of the machine can leave a name over bytes that never reached the disk,
 * and a crash is a new boot. So a folder written in another boot, or with no
 * boot-id, loses its ready files before the marker says this boot; where the
 * kernel has no boot id the marker is removed and the shell hashes every file.
 */
export async function claimForThisBoot(folder: PrefetchFolder, bootIdFile = BOOT_ID_FILE): Promise<void> {
  const marker = join(folder.dir, BOOT_MARKER);
  const boot = await currentBootId(bootIdFile);
  const written = (await readFile(marker, 'utf8').catch(() => '')).trim();
  if (boot !== undefined && written === boot) return;
  await rm(marker, { force: true });
  for (const name of await readdir(folder.dir).catch(() => [] as string[])) {
    if (PREFETCHED.test(name) || REREAD.test(name)) await rm(join(folder.dir, name), { force: true });
  }
  if (boot === undefined) return;
  const tmp = join(folder.dir, `.${BOOT_MARKER}.${process.pid}.tmp`);
  await writeFile(tmp, `${boot}\n`, { mode: 0o600 });
  await rename(tmp, marker);
}

export type Taken = { outcome: 'taken'; bytes: number; segmentBytes?: number } | { outcome: 'damaged'; problem: string } | { outcome: 'absent' };

/**
 * Hands a prefetched `file` over: renamed out of the folder (so nothing else
 * can change it), read whole and hashed, and renamed into `destination` only
 * when its sha256 is the one its entry gave; a damaged one is deleted.
 */
export async function takePrefetched(folder: PrefetchFolder, file: string, destination: string, inFlightWaitMs = IN_FLIGHT_WAIT_MS): Promise<Taken> {
  const name = await readyOrInFlight(folder, file, Date.now() + inFlightWaitMs);
  if (!name) return { outcome: 'absent' };
  const expected = PREFETCHED.exec(name)![2]!;
  const claimed = `${destination}.prefetched`;
  try {
    await rename(join(folder.dir, name), claimed);
  } catch (err) {
    // Taken or cleaned away in the meantime: fetch it as if it had never been here.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { outcome: 'absent' };
    throw err;
  }
  try {
    // Streamed: segments may be up to 1 GiB (initdb --wal-segsize).
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(claimed)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== expected) {
      await rm(claimed, { force: true });
      return { outcome: 'damaged', problem: `the prefetched copy of ${file} in ${folder.dir} has sha256 ${sha256.slice(0, 12)}…, its entry says ${expected.slice(0, 12)}…; it was deleted` };
    }
    const segmentBytes = await segmentBytesOf(claimed);
    await rename(claimed, destination);
    return { outcome: 'taken', bytes, ...(segmentBytes ? { segmentBytes } : {}) };
  } catch (err) {
    await rm(claimed, { force: true });
    throw err;
  }
}

/**
 * restore_command for a recovery Lifeboat runs itself: a shell line that
 * hands a prefetched segment over without starting node, and runs
 * `fullCommand` (`lifeboat … wal get <component> %f %p`) for anything else.
 * Recovery runs restore_command once per segment, one at a time, so a node
 * start-up per segment was most of a restore's replay time; `cp` is the pace
 * to keep.
 *
 * The shell path keeps the lean path's rules: it claims the file by renaming
 * it out of the folder (so nothing can change it after), hands it over only
 * when `sha256sum` of what it claimed is the sha256 in the file's name (its
 * entry's, verified by the prefetcher), and deletes a copy that does not
 * match and fetches it the full way. When the folder's boot-id is the
 * kernel's (claimForThisBoot: the files were written and checked by the
 * prefetcher in this boot) the rename into `%p` is all it does — hashing 16
 * MiB again took 40 ms of each segment's turn, twice what `cp` takes. Only a 24-character segment name in the
 * folder of this cluster (`systemIdentifier`) and of the segment's own
 * timeline qualifies; history files, a miss and a damaged copy go to
 * `fullCommand`, which also starts the prefetcher. The prefetcher sees what
 * this path took by the files that left its folder (it records no position).
 *
 * It answers "not found" (exit 1, as `wal get` does) itself only where that
 * is known: `00000001.history` (timeline 1 has none), and a segment or the
 * next timeline's history file that the prefetcher found in no destination
 * (nor in the host's WAL spool) at most ABSENT_FRESH_SECONDS ago (its absent
 * marker) — the end of the archive, which recovery asks for twice before it
 * ends, and the history file it probes before it picks a timeline. An older
 * marker is not trusted: the full path looks.
 *
 * `%f` and `%p` are PostgreSQL's; every other `%` is doubled. The folder is
 * relative to the data directory, where PostgreSQL runs restore_command.
 */
export function prefetchRestoreCommand(opts: { fullCommand: string; component: string; systemIdentifier: string }): string {
  if (!COMPONENT.test(opts.component) || !/^[0-9]+$/.test(opts.systemIdentifier)) return opts.fullCommand;
  const k = `pg_wal/${PREFETCH_DIR}/${opts.component}.${opts.systemIdentifier}`;
  const fresh = (file: string) => `[ -n "$(find "$d" -maxdepth 1 -name "${absentName(file)}" -newermt '${ABSENT_FRESH_SECONDS} seconds ago' 2>/dev/null)" ]`;
  const notFound = (why: string) => `echo "lifeboat: wal get $f: not in the archive of ${opts.component} (${why})" >&2; exit 1`;
  const script =
    `f=%f; c=%p.prefetched; ` +
    'case $f in ' +
    // Timeline 1 never has a history file (PostgreSQL asks for it when it ends recovery on timeline 2).
    `00000001.history) ${notFound('timeline 1 has no history file')};; ` +
    // Timeline N's history: PostgreSQL asks whether it exists before it picks a timeline; the prefetcher of timeline N-1 looks.
    `????????.history) d=${k}.$(printf %08X $((0x\${f%.history} - 1))); ${fresh('$f')} && { ${notFound(`no destination had it ${ABSENT_FRESH_SECONDS} s ago or less`)}; }; exec ${opts.fullCommand};; ` +
    `????????????????????????) d=${k}.\${f%????????????????};; ` +
    `*) exec ${opts.fullCommand};; ` +
    'esac; ' +
    // The file's own name first, then its second name (a hard link, for recovery's second read of the last segment).
    // This boot's files were checked as they were written (claimForThisBoot): `read` is the shell's own, no process starts.
    `t=; read b 2>/dev/null <${BOOT_ID_FILE} && read w 2>/dev/null <"$d/${BOOT_MARKER}" && [ -n "$b" ] && [ "$b" = "$w" ] && t=1; ` +
    'for r in "$d/$f".[0-9a-f]* "$d/$f".reread.*; do ' +
    'if [ -n "$t" ]; then mv "$r" %p 2>/dev/null || continue; echo "lifeboat: wal get $f: from the prefetch folder, sha256 checked as it was fetched in this boot" >&2; exit 0; fi; ' +
    'mv "$r" "$c" 2>/dev/null || continue; ' +
    // openssl's sha256 uses the CPU's SHA instructions (about twice sha256sum's speed here); sha256sum where there is no openssl.
    'h=$({ openssl dgst -sha256 -r 2>/dev/null || sha256sum; } <"$c"); ' +
    'if [ "${h%% *}" = "${r##*.}" ] && mv "$c" %p; then echo "lifeboat: wal get $f: $(stat -c %s %p) bytes from the prefetch folder, sha256 checked" >&2; exit 0; fi; ' +
    'rm -f "$c"; echo "lifeboat: warning: the prefetched copy of $f did not match its sha256 and was deleted" >&2; ' +
    'done; ' +
    // The end of the archive: the prefetcher found no destination holding it moments ago.
    `${fresh('$f')} && { ${notFound(`no destination had it ${ABSENT_FRESH_SECONDS} s ago or less`)}; }; ` +
    `exec ${opts.fullCommand}`;
  // Double every % that is not %f or %p (those PostgreSQL substitutes), leaving fullCommand's own escaping alone.
  // (fullCommand appears inside the script too: it is split out and kept as it is.)
  return script
    .split(opts.fullCommand)
    .map((part) => part.replace(/%(?![fp])/g, '%%'))
    .join(opts.fullCommand);
}

/**
 * The size of a prefetcher's libuv thread pool, where it inflates, decrypts
 * and writes: one core fewer than the host has (at least 1, at most libuv's
 * default 4). Recovery replays WAL in one process that waits for nothing
 * else; with the default pool on 2 cores the prefetcher ran up to 4 inflates
 * and its main thread at once, and the startup process shared the CPUs with
 * them. A PITR restore of pgbench scale 20 + 60 s of WAL, 14 alternating runs
 * each way: median 8.44 s with 4 threads, 8.01 s with 1 (the runs spread
 * 7.3–9.4 s either way, so a small gain, not a proven one); every segment
 * still came prefetched.
 */
export function prefetcherThreads(cores = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - 1));
}

/**
 * glibc's allocator for a prefetcher: blocks under 32 MiB from the heap, and
 * the heap kept up to 256 MiB of free space before it is given back. Each gzip
 * member it inflates gets a buffer of 1 MiB; by default each is a fresh mmap
 * whose every page faults in as it is written, and is unmapped when freed.
 * Decoding the 26 segments of the benchmark's archive (pgbench, gzip + age) in
 * one process: 53–74 thousand page faults and 2.2–2.4 s of CPU by default,
 * 30–34 thousand and 1.9 s with these (4 alternating runs each; peak memory
 * alike, about 160 MB). Other C libraries ignore the variable.
 */
export const PREFETCHER_MALLOC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';

/** The environment a prefetcher is started with: the caller's, with its thread pool sized (prefetcherThreads) and its allocator tuned (PREFETCHER_MALLOC). */
export function prefetcherEnv(env: Readonly<Record<string, string | undefined>>, cores?: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.UV_THREADPOOL_SIZE = String(prefetcherThreads(cores));
  // Tunables the caller set stay; glibc takes the last of a name twice.
  out.GLIBC_TUNABLES = env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${PREFETCHER_MALLOC}` : PREFETCHER_MALLOC;
  return out;
}

/** How long `wal get` waits for a file the prefetcher is writing, rather than fetching it a second time. */
export const IN_FLIGHT_WAIT_MS = 30_000;

/**
 * The ready file of `file`; while the prefetcher is still writing it (its
 * dot-file is there), waits for it until `deadline` — that is sooner than a
 * second fetch. Undefined when it is neither ready nor being written.
 */
async function readyOrInFlight(folder: PrefetchFolder, file: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    const names = await readdir(folder.dir).catch(() => [] as string[]);
    const ready = names.find((n) => n.startsWith(`${file}.`) && PREFETCHED.test(n));
    if (ready) return ready;
    // A dot-file of a prefetcher that died is not waited for.
    const writing = names.some((n) => n.startsWith(`.${file}.`) && n.endsWith('.tmp')) && (await runningPrefetcher(folder.dir)) !== undefined;
    if (!writing || Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** xlp_seg_size from the header of a segment just written to `path`. */
export async function segmentBytesOf(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const page = Buffer.alloc(40);
    const { bytesRead } = await handle.read(page, 0, 40, 0);
    return bytesRead === 40 ? page.readUInt32LE(32) : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Moves the window: records `file` as the position (creating the folder,
 * 0700), and deletes what recovery has passed — files of this timeline at or
 * before `file`, and other keys' folders whose prefetcher is gone.
 */
export async function recordPosition(folder: PrefetchFolder, position: PrefetchPosition): Promise<void> {
  await mkdir(folder.dir, { recursive: true, mode: 0o700 });
  await chmod(folder.root, 0o700);
  await chmod(folder.dir, 0o700);
  const tmp = join(folder.dir, `.${PREFETCH_POSITION}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(position) + '\n', { mode: 0o600 });
  await rename(tmp, join(folder.dir, PREFETCH_POSITION));
  await dropPassed(folder, position.file);
  for (const other of await readdir(folder.root).catch(() => [] as string[])) {
    const dir = join(folder.root, other);
    if (dir !== folder.dir && (await runningPrefetcher(dir)) === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Deletes ready files at or before `file` (recovery has gone past them), and second names before it. */
export async function dropPassed(folder: PrefetchFolder, file: string): Promise<void> {
  for (const name of await readdir(folder.dir).catch(() => [] as string[])) {
    const ready = PREFETCHED.exec(name)?.[1];
    const reread = REREAD.exec(name)?.[1];
    if ((ready !== undefined && ready <= file) || (reread !== undefined && reread < file)) await rm(join(folder.dir, name), { force: true });
  }
}

export async function readPosition(folder: PrefetchFolder): Promise<PrefetchPosition | undefined> {
  try {
    const value = JSON.parse(await readFile(join(folder.dir, PREFETCH_POSITION), 'utf8')) as Partial<PrefetchPosition>;
    if (typeof value.file !== 'string' || typeof value.segmentBytes !== 'number') return undefined;
    return { file: value.file, segmentBytes: value.segmentBytes, ...(value.beforeRecovery === true ? { beforeRecovery: true as const } : {}) };
  } catch {
    return undefined;
  }
}

/** The pid of the prefetcher serving `dir`, when one is alive. */
export async function runningPrefetcher(dir: string): Promise<number | undefined> {
  let pid: number | undefined;
  try {
    pid = (JSON.parse(await readFile(join(dir, PREFETCHER_LOCK), 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Whether the PostgreSQL of `dataDir` still runs (postmaster.pid names a live process): a prefetcher outliving it stops. */
export async function serverRunning(dataDir: string): Promise<boolean> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

/**
 * After a restore: stops the prefetchers of the data directory (SIGTERM to
 * the pid each recorded, when that process is a `wal prefetch`), waits for
 * them until `deadlineMs`, and deletes the prefetch folder.
 */
export async function endPrefetch(dataDir: string, deadlineMs = 10_000): Promise<void> {
  const root = join(dataDir, 'pg_wal', PREFETCH_DIR);
  const pids: number[] = [];
  for (const key of await readdir(root).catch(() => [] as string[])) {
    const pid = await runningPrefetcher(join(root, key));
    if (pid === undefined) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('\0prefetch\0')) continue;
    try {
      process.kill(pid, 'SIGTERM');
      pids.push(pid);
    } catch {
      // Gone already.
    }
  }
  const end = Date.now() + deadlineMs;
  while (pids.some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await rm(root, { recursive: true, force: true });
}

/** Whether the folder is still there (the restore's cleanup, or the last prefetcher, deletes it). */
export async function folderExists(folder: PrefetchFolder): Promise<boolean> {
  return stat(folder.dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
