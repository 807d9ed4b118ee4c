import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LifeboatError, LockHeldError } from '../errors.js';
import { Repository } from '../repository/repository.js';
import { MemoryStorage } from '../test/memory-storage.js';
import { acquireRepositoryLocks, type LockRecord } from './repository-lock.js';

const MINUTE = 60_000;
const KEY = 'locks/database.json';

function setup(storage = new MemoryStorage('primary')) {
  const clock = { now: Date.parse('2026-11-26T02:00:00Z') };
  const warnings: string[] = [];
  const repository = new Repository('primary', storage);
  const acquire = (operation = 'backup', repositories = [repository]) =>
    acquireRepositoryLocks(repositories, {
      plan: 'civicq',
      component: 'database',
      operation,
      timing: { ttlMs: 30 * MINUTE, refreshMs: 5 * MINUTE, now: () => clock.now },
      onWarning: (m) => warnings.push(m),
    });
  const record = () => JSON.parse(storage.objects.get(KEY)!.toString()) as LockRecord;
  /** A lock written by a run on another host. */
  const foreign = async (expiresAt: string) => {
    const other: LockRecord = {
      lifeboat: 'lock',
      plan: 'civicq',
      component: 'database',
      operation: 'backup',
      owner: 'ops@db-2',
      host: 'db-2',
      pid: 4242,
      token: 'f0f0f0f0f0f0f0f0',
      acquiredAt: '2026-11-26T01:50:00.000Z',
      refreshedAt: '2026-11-26T01:55:00.000Z',
      expiresAt,
    };
    return storage.putIf(KEY, Buffer.from(JSON.stringify(other)), { ifAbsent: true });
  };
  return { storage, clock, warnings, repository, acquire, record, foreign };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('repository lock', () => {
  it('is an object naming its holder and expiry while held, and gone after release', async () => {
    const { storage, acquire, record, warnings } = setup();
    const locks = await acquire();
    expect(record()).toMatchObject({
      lifeboat: 'lock',
      plan: 'civicq',
      component: 'database',
      operation: 'backup',
      host: hostname(),
      pid: process.pid,
      owner: expect.stringMatching(/@/),
      acquiredAt: '2026-11-26T02:00:00.000Z',
      expiresAt: '2026-11-26T02:30:00.000Z',
    });
    expect(locks.lost.aborted).toBe(false);
    await locks.release();
    expect(storage.objects.has(KEY)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('refuses with exit 75 and the holder named while another host holds it, leaving that lock alone', async () => {
    const { storage, acquire, foreign } = setup();
    const version = await foreign('2026-11-26T02:25:00.000Z');
    const err = await acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).exitCode).toBe(75);
    expect((err as Error).message).toBe(
      "destination 'primary' (memory:primary) is locked for database by backup on ops@db-2 (pid 4242) since 2026-11-26T01:50:00.000Z; " +
        'try again when it finishes (the lock expires at 2026-11-26T02:25:00.000Z unless that run keeps refreshing it)',
    );
    expect(storage.versions.get(KEY)).toBe(version);
  });

  it('takes over an expired lock, and says whose', async () => {
    const { acquire, foreign, record, warnings } = setup();
    await foreign('2026-11-26T01:59:59.000Z');
    const locks = await acquire();
    expect(record().host).toBe(hostname());
    expect(warnings).toEqual([
      "took over the lock of backup on ops@db-2 (pid 4242) in destination 'primary' (memory:primary): it expired at 2026-11-26T01:59:59.000Z",
    ]);
    await locks.release();
  });

  it('lets exactly one of two simultaneous runs have it', async () => {
    const { acquire } = setup();
    const results = await Promise.allSettled([acquire(), acquire('prune')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LockHeldError);
    await (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  it('releases the locks it took when a later destination is held', async () => {
    const { acquire, foreign, repository } = setup();
    const first = new MemoryStorage('first');
    const firstRepository = new Repository('first', first);
    await foreign('2026-11-26T02:25:00.000Z');
    await expect(acquire('backup', [firstRepository, repository])).rejects.toBeInstanceOf(LockHeldError);
    expect(first.objects.has(KEY)).toBe(false);
  });

  it('a lock this process failed to remove does not block its next run', async () => {
    const { storage, acquire, warnings } = setup();
    const locks = await acquire();
    const realDelete = storage.delete.bind(storage);
    storage.delete = async () => {
      throw new Error('connection reset by peer');
    };
    await locks.release();
    expect(warnings.at(-1)).toMatch(/^could not remove the lock locks\/database\.json from destination 'primary' \(memory:primary\) \(connection reset by peer\); it expires at /);
    storage.delete = realDelete;
    const again = await acquire();
    expect(warnings.at(-1)).toMatch(/this process left it behind/);
    await again.release();
    expect(storage.objects.has(KEY)).toBe(false);
  });

  it('warns once when the store ignores conditional writes', async () => {
    const storage = new MemoryStorage('lax');
    storage.ignoresConditions = true;
    const { acquire, warnings } = setup(storage);
    await (await acquire()).release();
    await (await acquire()).release();
    expect(warnings).toEqual([
      "destination 'primary' (memory:lax) ignores conditional writes (If-None-Match), so its lock cannot keep out a writer on another host; only this host's lock applies (AWS S3, MinIO, R2 and Ceph honour them)",
    ]);
  });

  describe('while held', () => {
    it('is refreshed before it expires, so a long run keeps it', async () => {
      vi.useFakeTimers();
      const { acquire, clock, record } = setup();
      const locks = await acquire();
      for (let i = 0; i < 12; i++) {
        clock.now += 5 * MINUTE;
        await vi.advanceTimersByTimeAsync(5 * MINUTE);
      }
      expect(record().expiresAt).toBe('2026-11-26T03:30:00.000Z'); // one hour later + 30 min
      expect(locks.lost.aborted).toBe(false);
      await locks.release();
    });

    it('is lost when another run took it over, and the run is told why', async () => {
      vi.useFakeTimers();
      const { acquire, storage } = setup();
      const locks = await acquire();
      const mine = storage.versions.get(KEY)!;
      await storage.putIf(KEY, Buffer.from('{"lifeboat":"lock","token":"thief","expiresAt":"2099-01-01T00:00:00Z"}'), { ifVersion: mine });
      await vi.advanceTimersByTimeAsync(5 * MINUTE);
      expect(locks.lost.aborted).toBe(true);
      expect(locks.lost.reason).toBeInstanceOf(LifeboatError);
      expect((locks.lost.reason as Error).message).toBe(
        "lost the lock locks/database.json in destination 'primary' (memory:primary): another run took it over or removed it",
      );
      await locks.release();
      expect(JSON.parse(storage.objects.get(KEY)!.toString()).token).toBe('thief'); // not ours to remove
    });

    it('survives refresh failures for a while, and is lost a third of its ttl before it would expire', async () => {
      vi.useFakeTimers();
      const { acquire, storage, clock } = setup();
      const locks = await acquire();
      storage.putIf = async () => {
        throw new Error('connect ETIMEDOUT');
      };
      for (let i = 0; i < 3; i++) {
        clock.now += 5 * MINUTE;
        await vi.advanceTimersByTimeAsync(5 * MINUTE);
      }
      expect(locks.lost.aborted).toBe(false); // 15 minutes: still well within its 30
      clock.now += 5 * MINUTE;
      await vi.advanceTimersByTimeAsync(5 * MINUTE);
      expect(locks.lost.aborted).toBe(true); // 20 minutes: another host could take it at 30, with its clock a few minutes ahead
      expect((locks.lost.reason as Error).message).toBe(
        "lost the lock locks/database.json in destination 'primary' (memory:primary): it could not be refreshed (connect ETIMEDOUT) and would expire soon",
      );
    });

    it('a refresh that never answers neither keeps the lock alive nor holds up the release', async () => {
      vi.useFakeTimers();
      const { acquire, storage, clock } = setup();
      const locks = await acquire();
      storage.putIf = () => new Promise(() => {}); // an NFS hard mount, a socket without a timeout
      for (let i = 0; i < 4; i++) {
        clock.now += 5 * MINUTE;
        await vi.advanceTimersByTimeAsync(5 * MINUTE);
      }
      expect(locks.lost.aborted).toBe(true);
      const released = locks.release();
      await vi.advanceTimersByTimeAsync(5 * MINUTE);
      await expect(released).resolves.toBeUndefined();
    });
  });

  describe('a holder on this host whose process is gone', () => {
    const here = () => {
      try {
        return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}`;
      } catch {
        return undefined;
      }
    };
    const deadHolder = (space: string | undefined) =>
      Buffer.from(
        JSON.stringify({ lifeboat: 'lock', plan: 'civicq', component: 'database', operation: 'backup', owner: 'ops@x', host: hostname(), pid: 2 ** 22 + 1, ...(space ? { space } : {}), token: 't', acquiredAt: '2026-11-26T01:50:00.000Z', refreshedAt: '2026-11-26T01:55:00.000Z', expiresAt: '2026-11-26T02:25:00.000Z' }),
      );

    it.runIf(here() !== undefined)('is taken over at once when it ran in this pid namespace', async () => {
      const { storage, acquire, warnings } = setup();
      await storage.putIf(KEY, deadHolder(here()), { ifAbsent: true });
      await (await acquire()).release();
      expect(warnings).toEqual([expect.stringMatching(/: process 4194305 on this host is gone$/)]);
    });

    it('is left alone when it ran in another namespace with the same hostname (containers with host networking)', async () => {
      const { storage, acquire } = setup();
      await storage.putIf(KEY, deadHolder('another-boot/pid:[4026531836]'), { ifAbsent: true });
      await expect(acquire()).rejects.toBeInstanceOf(LockHeldError);
    });
  });

  describe('require: any', () => {
    it('skips a repository whose lock cannot be written, and a dropped one no longer counts when lost', async () => {
      vi.useFakeTimers();
      const { repository, clock } = setup();
      const broken = new MemoryStorage('broken');
      broken.putIf = async () => {
        throw new Error('connect ECONNREFUSED');
      };
      const other = new MemoryStorage('other');
      const skipped: string[] = [];
      const locks = await acquireRepositoryLocks([repository, new Repository('broken', broken), new Repository('other', other)], {
        plan: 'civicq',
        component: 'database',
        operation: 'backup',
        timing: { now: () => clock.now },
        skipUnreachable: true,
        onSkipped: (r, err) => skipped.push(`${r.name}: ${(err as Error).message}`),
      });
      expect(skipped).toEqual(['broken: connect ECONNREFUSED']);
      await locks.drop('other');
      expect(other.objects.has(KEY)).toBe(false);
      other.putIf = async () => {
        throw new Error('gone');
      };
      clock.now += 25 * MINUTE;
      await vi.advanceTimersByTimeAsync(25 * MINUTE);
      expect(locks.lost.aborted).toBe(false);
      await locks.release();
    });
  });

  it('refuses a lock object it cannot read rather than guessing', async () => {
    const { storage, acquire } = setup();
    await storage.putIf(KEY, Buffer.from('not json'), { ifAbsent: true });
    await expect(acquire()).rejects.toThrow(
      "destination 'primary' (memory:primary) has a lock object locks/database.json that is not a Lifeboat lock; if no other run is using this repository, delete it and try again",
    );
  });
});
