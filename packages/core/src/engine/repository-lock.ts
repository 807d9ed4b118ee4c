import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { LifeboatError, LockHeldError, describeError } from '../errors.js';
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

export interface LockRecord {
  lifeboat: 'lock';
  plan: string;
  component: string;
  operation: string;
  /** `user@host`, for the person deciding whether the holder is still alive. */
  owner: string;
  host: string;
  pid: number;
  /** Unique per acquisition. */
  token: string;
  acquiredAt: string;
  refreshedAt: string;
  expiresAt: string;
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
  /** Aborts, with a LifeboatError as reason, when any of the locks is lost. */
  readonly lost: AbortSignal;
  /** Stops refreshing and removes the lock objects that are still ours. */
  release(): Promise<void>;
}

/** Stores found to ignore conditional writes in this process: warned about once. */
const ignoring = new Set<string>();
/** Tokens of the locks this process holds now; one of ours not in here was left by a failed release. */
const active = new Set<string>();

/**
 * Takes the component's lock in every repository, in order. If one is held,
 * those already taken are released and LockHeldError (exit 75) says who holds it.
 */
export async function acquireRepositoryLocks(repositories: Repository[], request: RepositoryLockRequest): Promise<RepositoryLocks> {
  const held: HeldLock[] = [];
  try {
    for (const repository of repositories) held.push(await acquireOne(repository, request));
  } catch (err) {
    await Promise.all(held.map((lock) => lock.release(request.onWarning)));
    throw err;
  }
  return {
    lost: AbortSignal.any(held.map((lock) => lock.lost)),
    release: async () => {
      await Promise.all(held.map((lock) => lock.release(request.onWarning)));
    },
  };
}

interface HeldLock {
  lost: AbortSignal;
  release(onWarning?: (message: string) => void): Promise<void>;
}

async function acquireOne(repository: Repository, request: RepositoryLockRequest): Promise<HeldLock> {
  const timing: LockTiming = { ttlMs: LOCK_TTL_MS, refreshMs: LOCK_REFRESH_MS, now: Date.now, ...request.timing };
  const key = repository.lockKey(request.component);
  const { adapter } = repository;
  const where = `${repository.description}`;
  const acquiredAt = new Date(timing.now()).toISOString();
  const identity = { host: hostname(), pid: process.pid, owner: `${safeUser()}@${hostname()}`, token: randomBytes(8).toString('hex') };
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

  let version: string | undefined;
  let expiresAt = 0;
  for (let attempt = 0; attempt < 3 && version === undefined; attempt++) {
    const at = timing.now();
    version = await adapter.putIf(key, encode(recordAt(at)), { ifAbsent: true });
    if (version !== undefined) {
      expiresAt = at + timing.ttlMs;
      break;
    }
    const current = await adapter.getVersioned(key);
    if (current === undefined) continue; // released meanwhile: try again
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
    version = await adapter.putIf(key, encode(recordAt(takeoverAt)), { ifVersion: current.version });
    if (version !== undefined) {
      expiresAt = takeoverAt + timing.ttlMs;
      request.onWarning?.(`took over the lock of ${holder.operation} on ${holder.owner} (pid ${holder.pid}) in ${where}: ${staleBecause}`);
    }
  }
  if (version === undefined) throw new LockHeldError(`could not take the lock ${key} in ${where}; other runs keep taking it`);

  // The probe: the lock now exists, so a second create must be refused.
  const probe = await adapter.putIf(key, encode(recordAt(expiresAt - timing.ttlMs)), { ifAbsent: true });
  if (probe !== undefined) {
    version = probe;
    if (!ignoring.has(adapter.description)) {
      ignoring.add(adapter.description);
      request.onWarning?.(
        `${where} ignores conditional writes (If-None-Match), so its lock cannot keep out a writer on another host; only this host's lock applies (AWS S3, MinIO, R2 and Ceph honour them)`,
      );
    }
  }

  active.add(identity.token);
  const lost = new AbortController();
  let refreshing: Promise<void> = Promise.resolve();
  const refresh = async () => {
    if (lost.signal.aborted) return;
    const at = timing.now();
    try {
      const next = await adapter.putIf(key, encode(recordAt(at)), { ifVersion: version! });
      if (next === undefined) {
        lost.abort(new LifeboatError(`lost the lock ${key} in ${where}: another run took it over or removed it`));
        return;
      }
      version = next;
      expiresAt = at + timing.ttlMs;
    } catch (err) {
      if (timing.now() >= expiresAt) {
        lost.abort(new LifeboatError(`lost the lock ${key} in ${where}: it could not be refreshed before it expired (${describeError(err)})`));
      }
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
      await refreshing;
      active.delete(identity.token);
      if (lost.signal.aborted) return; // not ours any more
      lost.abort(new LifeboatError(`the lock ${key} in ${where} was released`));
      try {
        const current = await adapter.getVersioned(key);
        if (current !== undefined && parse(current.bytes)?.token === identity.token) await adapter.delete([key]);
      } catch (err) {
        onWarning?.(`could not remove the lock ${key} from ${where} (${describeError(err)}); it expires at ${new Date(expiresAt).toISOString()}`);
      }
    },
  };
}

/** Why a lock no longer holds, or undefined while it does. */
function staleness(holder: LockRecord, now: number): string | undefined {
  const expires = Date.parse(holder.expiresAt);
  if (!Number.isFinite(expires) || expires <= now) return `it expired at ${holder.expiresAt}`;
  if (holder.host === hostname() && !isAlive(holder.pid)) return `process ${holder.pid} on this host is gone`;
  if (holder.host === hostname() && holder.pid === process.pid && !active.has(holder.token)) return 'this process left it behind (its removal failed)';
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
