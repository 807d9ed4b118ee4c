import { ExitCode, inRun, readRepositoryLocks, removeRepositoryLock, type FoundLock } from '@lifeboat/core';
import type { OperationsContext } from './context.js';

export interface UnlockOutcome {
  component: string;
  /** The component's destinations, in plan order. */
  destinations: string[];
  found: FoundLock[];
  /** Destinations whose lock was removed. */
  removed: string[];
  /** Locks that changed while being removed (refreshed or taken): left as they are. */
  changed: FoundLock[];
  /** Why nothing was removed although `yes` was given: a live lock without `force` (exit 2). */
  refused?: string;
}

/**
 * `lifeboat unlock`: reads the component's repository lock in each
 * destination; with `yes`, removes them — a live one (refreshed within its
 * ttl) only with `force`, for a host known to be dead. A removal is journaled
 * with what was removed and whose lock it was; a look is not.
 */
export async function unlock(ctx: OperationsContext, component: string, opts: { yes?: boolean; force?: boolean }): Promise<UnlockOutcome> {
  const destinations = ctx.registry.component(ctx.plan, component).destinations;
  const repositories = destinations.map((d) => ctx.registry.repository(ctx.plan, d));
  const found = await readRepositoryLocks(repositories, component);
  const outcome: UnlockOutcome = { component, destinations, found, removed: [], changed: [] };
  const live = found.filter((lock) => lock.holder !== undefined && lock.stale === undefined);
  if (opts.yes && !opts.force && live.length > 0) {
    outcome.refused =
      `nothing was removed: ${live.length === 1 ? 'this lock is' : `${live.length} of these locks are`} live (refreshed within its ttl); ` +
      'if its host is dead, pass --force as well; if it is alive, its run stops at its next refresh and another may write meanwhile';
    return outcome;
  }
  if (!opts.yes || found.length === 0) return outcome;
  return inRun(ctx, { operation: 'unlock', components: [component] }, async () => {
    const started = Date.now();
    for (const lock of found) {
      const repository = repositories.find((r) => r.name === lock.destination)!;
      if (await removeRepositoryLock(repository, component, lock.version)) outcome.removed.push(lock.destination);
      else outcome.changed.push(lock);
    }
    const locks = found.map((lock) => ({
      destination: lock.destination,
      removed: outcome.removed.includes(lock.destination),
      ...(lock.holder ? { holder: `${lock.holder.operation} on ${lock.holder.owner} (pid ${lock.holder.pid}) since ${lock.holder.acquiredAt}` } : { holder: 'not a Lifeboat lock' }),
      ...(lock.stale ? { stale: lock.stale } : lock.holder ? { live: true } : {}),
    }));
    return { value: outcome, exitCode: ExitCode.ok, journal: [{ component, outcome: 'ok', durationMs: Date.now() - started, details: { locks } }] };
  });
}
