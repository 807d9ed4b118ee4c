import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { LifeboatError, LockHeldError, describeError } from '../errors.js';
import { withTimeout } from '../deadline.js';
import type { Repository } from '../repository/repository.js';
import { isAlive } from './lock.js';

/**
 * The repository lock: one small object per component in each destination
 * (`locks/<component>.json`), so that writers on different hosts never back
 * up or prune the same component of the same repository at once. The host
 * lock (lock.ts) keeps out runs on this host; this one keeps out the others.
 *
 * - Taken with a conditional write (`If-None-Match: *` on S3, link(2) on a
 *   file system): of two hosts racing, exactly one gets it.
 * - It names its holder (owner, host, pid, operation) and expires: the holder
 *   rewrites it every `refreshMs` (`If-Match` on the version it wrote), and a
 *   lock not refreshed for `ttlMs` is stale. A stale lock is taken over with
 *   `If-Match` on the version read, so again only one host wins. A lock left
 *   on this host by a process that is gone is stale at once.
 * - A holder that cannot refresh its lock before it expires, or finds it taken
 *   over, has lost it: `lost` aborts, and the run stops without committing.
 * - Some S3-compatible servers ignore conditions. Every acquisition probes for
 *   that (a second `If-None-Match: *` write must fail) and warns when the
 *   store ignored it, since the lock then cannot keep other hosts out.
 *
 * Clocks: expiry is the holder's clock plus ttl, read with the reader's
 * clock; hosts whose clocks differ by minutes still agree within a 30-minute
 * ttl (NTP keeps them far closer).
 */

export const LOCK_TTL_MS = 30 * 60_000;
export const LOCK_REFRESH_MS = 5 * 60_000;

/** Who holds a lock or a reader's mark, and until when. */
export interface Holder {
  component: string;
  operation: string;
  /** `user@host`, for the person deciding whether the holder is still alive. */
  owner: string;
  host: string;
  pid: number;
  /** Boot id and pid namespace of the holder (Linux): where `pid` can be checked. */
  space?: string;
  /** Unique per acquisition. */
  token: string;
  expiresAt: string;
}

export interface LockRecord extends Holder {
  lifeboat: 'lock';
  plan: string;
  acquiredAt: string;
  refreshedAt: string;
}

export interface LockTiming {
  ttlMs: number;
  refreshMs: number;
  now: () => number;
}

export interface RepositoryLockRequest {
  plan: string;
  component: string;
  operation: string;
  timing?: Partial<LockTiming>;
  onWarning?: (message: string) => void;
}

export interface RepositoryLocks {
  /** Aborts, with a LifeboatError as reason, when a lock not dropped is lost. */
  readonly lost: AbortSignal;
  /** Lets go of one destination's lock (it dropped out of the run under `require: any`): its loss no longer counts. */
  drop(repositoryName: string): Promise<void>;
  /** Stops refreshing and removes the lock objects that are still ours. */
  release(): Promise<void>;
}

/** Stores found to ignore conditional writes in this process: warned about once. */
const ignoring = new Set<string>();
/** Tokens of the locks and reader marks this process holds now; one of ours not in here was left by a failed release. */
const active = new Set<string>();

/**
 * Takes the component's lock in every repository, in order. If one is held,
 * those already taken are released and LockHeldError (exit 75) says who holds
 * it. With `skipUnreachable` (the plan's `require: any`), a repository whose
 * lock cannot be written for another reason is left out and reported through
 * `onSkipped`, as a destination that cannot be opened is.
 */
export async function acquireRepositoryLocks(
  repositories: Repository[],
  request: RepositoryLockRequest & { skipUnreachable?: boolean; onSkipped?: (repository: Repository, error: unknown) => void },
): Promise<RepositoryLocks> {
  const timing = timingOf(request.timing);
  const held = new Map<string, HeldLock>();
  const lost = new AbortController();
  try {
    for (const repository of repositories) {
      try {
        const lock = await acquireOne(repository, request, timing);
        held.set(repository.name, lock);
        lock.lost.addEventListener('abort', () => held.has(repository.name) && lost.abort(lock.lost.reason), { once: true });
      } catch (err) {
        if (err instanceof LockHeldError || !request.skipUnreachable) throw err;
        request.onSkipped?.(repository, err);
      }
    }
  } catch (err) {
    await Promise.all([...held.values()].map((lock) => lock.release(request.onWarning)));
    throw err;
  }
  return {
    lost: lost.signal,
    drop: async (name) => {
      const lock = held.get(name);
      held.delete(name);
      await lock?.release(request.onWarning);
    },
    release: async () => {
      const locks = [...held.values()];
      held.clear();
      await Promise.all(locks.map((lock) => lock.release(request.onWarning)));
    },
  };
}

function timingOf(timing: Partial<LockTiming> = {}): LockTiming {
  const t: LockTiming = { ttlMs: LOCK_TTL_MS, refreshMs: LOCK_REFRESH_MS, now: Date.now, ...timing };
  // A refresh must have a few tries before the lock comes near its expiry.
  if (!(t.refreshMs > 0 && t.refreshMs * 3 <= t.ttlMs)) {
    throw new LifeboatError(`lock timing: refreshMs (${t.refreshMs}) must be positive and at most a third of ttlMs (${t.ttlMs})`);
  }
  return t;
}

interface HeldLock {
  lost: AbortSignal;
  release(onWarning?: (message: string) => void): Promise<void>;
}

/**
 * Which process namespace a pid belongs to: the boot and the pid namespace.
 * Two containers with host networking share a hostname but not their pids;
 * only a holder in our own namespace can be declared dead by its pid.
 */
let space: { value?: string } | undefined;
function processSpace(): string | undefined {
  // Read when a lock is first taken, not when the module loads (every command would pay for it).
  if (!space) {
    try {
      space = { value: `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}` };
    } catch {
      space = {};
    }
  }
  return space.value;
}

/** This process as a holder, with a new token. */
function holderHere(): Pick<Holder, 'host' | 'pid' | 'space' | 'owner' | 'token'> {
  const here = processSpace();
  return { host: hostname(), pid: process.pid, ...(here ? { space: here } : {}), owner: `${safeUser()}@${hostname()}`, token: randomBytes(8).toString('hex') };
}

async function acquireOne(repository: Repository, request: RepositoryLockRequest, timing: LockTiming): Promise<HeldLock> {
  const key = repository.lockKey(request.component);
  const { adapter } = repository;
  const where = `${repository.description}`;
  const acquiredAt = new Date(timing.now()).toISOString();
  const identity = holderHere();
  const recordAt = (at: number): LockRecord => ({
    lifeboat: 'lock',
    plan: request.plan,
    component: request.component,
    operation: request.operation,
    ...identity,
    acquiredAt,
    refreshedAt: new Date(at).toISOString(),
    expiresAt: new Date(at + timing.ttlMs).toISOString(),
  });
  /** Our own write whose answer got lost (a retried request meets its own change): read back, adopt it. */
  const ours = async (at: number): Promise<string | undefined> => {
    const current = await adapter.getVersioned(key);
    const record = current && parse(current.bytes);
    return record?.token === identity.token && record.refreshedAt === new Date(at).toISOString() ? current!.version : undefined;
  };

  let version: string | undefined;
  let writtenAt = 0;
  for (let attempt = 0; attempt < 3 && version === undefined; attempt++) {
    // Read first: on a store that ignores conditions, a blind create would overwrite a live lock.
    const current = await adapter.getVersioned(key);
    if (current === undefined) {
      const at = timing.now();
      version = (await adapter.putIf(key, encode(recordAt(at)), { ifAbsent: true })) ?? (await ours(at));
      if (version !== undefined) writtenAt = at;
      continue; // taken, or someone was quicker: look at theirs
    }
    const holder = parse(current.bytes);
    if (holder === undefined) {
      throw new LockHeldError(
        `${where} has a lock object ${key} that is not a Lifeboat lock; if no other run is using this repository, delete it and try again`,
      );
    }
    const staleBecause = staleness(holder, timing.now());
    if (staleBecause === undefined) {
      throw new LockHeldError(
        `${where} is locked for ${holder.component} by ${holder.operation} on ${holder.owner} (pid ${holder.pid}) since ${holder.acquiredAt}; ` +
          `try again when it finishes (the lock expires at ${holder.expiresAt} unless that run keeps refreshing it)`,
      );
    }
    const takeoverAt = timing.now();
    version = (await adapter.putIf(key, encode(recordAt(takeoverAt)), { ifVersion: current.version })) ?? (await ours(takeoverAt));
    if (version !== undefined) {
      writtenAt = takeoverAt;
      request.onWarning?.(`took over the lock of ${holder.operation} on ${holder.owner} (pid ${holder.pid}) in ${where}: ${staleBecause}`);
    }
  }
  if (version === undefined) throw new LockHeldError(`could not take the lock ${key} in ${where}; other runs keep taking it`);

  active.add(identity.token);
  const lost = new AbortController();
  const loseWith = (message: string) => {
    if (!lost.signal.aborted) lost.abort(new LifeboatError(`lost the lock ${key} in ${where}: ${message}`));
  };
  // Lost a third of the ttl before it expires unless a refresh succeeded meanwhile: a host that
  // takes it over after the expiry, even with its clock some minutes ahead, finds us stopped.
  const margin = Math.floor(timing.ttlMs / 3);
  let deadline: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(deadline);
    deadline = setTimeout(() => loseWith(`it could not be refreshed (${lastFailure ?? 'no answer'}) and would expire soon`), Math.max(0, writtenAt + timing.ttlMs - margin - timing.now()));
    deadline.unref();
  };
  let lastFailure: string | undefined;

  try {
    // The probe: the lock now exists, so a second create must be refused.
    const probe = await adapter.putIf(key, encode(recordAt(writtenAt)), { ifAbsent: true });
    if (probe !== undefined) {
      version = probe;
      if (!ignoring.has(adapter.description)) {
        ignoring.add(adapter.description);
        request.onWarning?.(
          `${where} ignores conditional writes (If-None-Match), so its lock cannot keep out a writer on another host; only this host's lock applies (AWS S3, MinIO, R2 and Ceph honour them)`,
        );
      }
    }
  } catch (err) {
    active.delete(identity.token);
    await adapter.delete([key]).catch(() => undefined);
    throw err;
  }
  arm();

  let refreshing: Promise<void> = Promise.resolve();
  const refresh = async () => {
    if (lost.signal.aborted) return;
    const at = timing.now();
    try {
      // A call that hangs must not hold the next refreshes up: it is abandoned after a refresh period.
      const next = await withTimeout(adapter.putIf(key, encode(recordAt(at)), { ifVersion: version! }), timing.refreshMs);
      const adopted = next ?? (await withTimeout(ours(at), timing.refreshMs));
      if (adopted === undefined) return loseWith('another run took it over or removed it');
      version = adopted;
      writtenAt = at;
      lastFailure = undefined;
      arm();
    } catch (err) {
      lastFailure = describeError(err);
    }
  };
  const timer = setInterval(() => {
    refreshing = refreshing.then(refresh);
  }, timing.refreshMs);
  timer.unref();

  return {
    lost: lost.signal,
    release: async (onWarning) => {
      clearInterval(timer);
      clearTimeout(deadline);
      // A refresh in flight is waited for, but not past one refresh period.
      await withTimeout(refreshing, timing.refreshMs).catch(() => undefined);
      active.delete(identity.token);
      if (lost.signal.aborted) return; // not ours any more
      lost.abort(new LifeboatError(`the lock ${key} in ${where} was released`));
      try {
        // A destination that stopped answering (a hung socket) must not hold the run's end up.
        const current = await withTimeout(adapter.getVersioned(key), timing.refreshMs);
        if (current !== undefined && parse(current.bytes)?.token === identity.token) await withTimeout(adapter.delete([key]), timing.refreshMs);
      } catch (err) {
        onWarning?.(`could not remove the lock ${key} from ${where} (${describeError(err)}); it expires at ${new Date(writtenAt + timing.ttlMs).toISOString()}`);
      }
    },
  };
}

/** Why a lock (or a reader's mark) no longer holds, or undefined while it does. */
function staleness(holder: Pick<Holder, 'host' | 'pid' | 'space' | 'token' | 'expiresAt'>, now: number): string | undefined {
  const expires = Date.parse(holder.expiresAt);
  if (!Number.isFinite(expires) || expires <= now) return `it expired at ${holder.expiresAt}`;
  // A pid means something only in the namespace it was taken in: same boot, same pid namespace.
  const here = holder.space !== undefined && holder.space === processSpace();
  if (here && holder.pid === process.pid && !active.has(holder.token)) return 'this process left it behind (its removal failed)';
  if (here && holder.pid !== process.pid && !isAlive(holder.pid)) return `process ${holder.pid} on this host is gone`;
  return undefined;
}

function parse(bytes: Uint8Array): LockRecord | undefined {
  try {
    const record = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LockRecord>;
    if (record.lifeboat !== 'lock' || typeof record.token !== 'string' || typeof record.expiresAt !== 'string') return undefined;
    return record as LockRecord;
  } catch {
    return undefined;
  }
}

function encode(record: LockRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record, null, 2) + '\n');
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

/** A component's lock as found in one destination, for `lifeboat unlock`. */
export interface FoundLock {
  destination: string;
  description: string;
  /** Undefined when the object is not a Lifeboat lock. */
  holder?: LockRecord;
  /** Why it no longer holds (expired, process gone); undefined while it is live. */
  stale?: string;
  version: string;
}

/** The component's lock in each repository that has one. */
export async function readRepositoryLocks(repositories: Repository[], component: string, now = Date.now()): Promise<FoundLock[]> {
  const found: FoundLock[] = [];
  for (const repository of repositories) {
    const current = await repository.adapter.getVersioned(repository.lockKey(component));
    if (current === undefined) continue;
    const holder = parse(current.bytes);
    const stale = holder === undefined ? undefined : staleness(holder, now);
    found.push({
      destination: repository.name,
      description: repository.description,
      version: current.version,
      ...(holder ? { holder } : {}),
      ...(stale ? { stale } : {}),
    });
  }
  return found;
}

/**
 * Removes a lock found by readRepositoryLocks, unless it changed since (then
 * false: someone refreshed or took it). A live holder finds its lock gone at
 * its next refresh and stops without committing.
 */
export async function removeRepositoryLock(repository: Repository, component: string, version: string): Promise<boolean> {
  const key = repository.lockKey(component);
  const current = await repository.adapter.getVersioned(key);
  if (current?.version !== version) return false;
  await repository.adapter.delete([key]);
  return true;
}

/**
 * Readers: a restore or drill marks the backup it reads with a small object of
 * its own (`locks/<component>.readers/<token>.json`, refreshed like the lock
 * and expiring like it), and prune keeps every backup a live reader names —
 * so a timer's prune never deletes the backup someone is restoring at 2 a.m.
 * A reader that cannot write its mark (read-only credentials on a restore
 * host) goes on with a warning: the mark protects, it never blocks.
 */
export interface ReaderRecord extends Holder {
  lifeboat: 'reader';
  backupId: string;
  since: string;
}

export interface ReaderRequest {
  component: string;
  backupId: string;
  operation: string;
  timing?: Partial<LockTiming>;
  onWarning?: (message: string) => void;
}

const readerPrefix = (component: string) => `locks/${component}.readers/`;

/** Marks `backupId` as being read in every repository that holds it, until `release`. */
export async function registerReader(repositories: Repository[], request: ReaderRequest): Promise<{ release(): Promise<void> }> {
  const timing = timingOf(request.timing);
  const identity = holderHere();
  const { token } = identity;
  const since = new Date(timing.now()).toISOString();
  const record = (at: number): ReaderRecord => ({
    lifeboat: 'reader',
    component: request.component,
    backupId: request.backupId,
    operation: request.operation,
    ...identity,
    since,
    expiresAt: new Date(at + timing.ttlMs).toISOString(),
  });
  const key = `${readerPrefix(request.component)}${token}.json`;
  const marked: Repository[] = [];
  // The key is this reader's own: a plain write, rewritten to push the expiry on.
  const mark = async (repository: Repository) => {
    await repository.adapter.put(key, Readable.from([Buffer.from(JSON.stringify(record(timing.now()), null, 2) + '\n')]));
  };
  for (const repository of repositories) {
    try {
      await mark(repository);
      marked.push(repository);
    } catch (err) {
      request.onWarning?.(
        `could not mark backup ${request.backupId} as being read in ${repository.description} (${describeError(err)}); a prune from another host could delete it meanwhile`,
      );
    }
  }
  active.add(token);
  let refreshing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing.then(() => Promise.all(marked.map((r) => mark(r).catch(() => undefined))).then(() => undefined));
  }, timing.refreshMs);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await refreshing;
      active.delete(token);
      await Promise.all(marked.map((r) => r.adapter.delete([key]).catch(() => undefined)));
    },
  };
}

/** The live readers of a component in one repository, and the keys of stale marks (for prune to remove). */
export async function readersOf(repository: Repository, component: string, now = Date.now()): Promise<{ live: ReaderRecord[]; staleKeys: string[] }> {
  const live: ReaderRecord[] = [];
  const staleKeys: string[] = [];
  for await (const object of repository.adapter.list(readerPrefix(component))) {
    const found = await repository.adapter.getVersioned(object.key);
    if (found === undefined) continue; // released meanwhile
    let reader: ReaderRecord | undefined;
    try {
      const parsed = JSON.parse(found.bytes.toString('utf8')) as Partial<ReaderRecord>;
      if (parsed.lifeboat === 'reader' && typeof parsed.backupId === 'string' && typeof parsed.expiresAt === 'string') reader = parsed as ReaderRecord;
    } catch {
      // not ours: stale
    }
    if (reader === undefined || staleness(reader, now) !== undefined) staleKeys.push(object.key);
    else live.push(reader);
  }
  return { live, staleKeys };
}
