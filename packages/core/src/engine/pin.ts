/**
 * Pinning and unpinning a backup: `pin.json` (retention/pins.ts) written to or
 * removed from every destination, under the component's lock.
 */
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { isId } from '../repository/ids.js';
import { pinKey, type Pin } from '../retention/pins.js';
import { lifecycleRulesFor } from '../retention/plan-check.js';
import { readCatalog } from './catalog.js';
import { nowOf, type EngineContext } from './context.js';
import { acquireLock } from './lock.js';

export interface PinOutcome {
  component: string;
  backupId: string;
  /** Destinations whose pin.json was written (pin) or removed (unpin). */
  destinations: string[];
  /** Lifecycle rules that delete objects whatever a pin says. */
  warnings: string[];
}

/** Pins a committed backup in every destination that holds it. */
export async function pinBackup(ctx: EngineContext, component: string, backupId: string, reason: string): Promise<PinOutcome> {
  if (reason.trim() === '') throw new UsageError('a pin needs a reason people will read: --reason "before the 2.0 migration"');
  return withComponentLock(ctx, component, backupId, 'pin', async () => {
    const entry = (await readCatalog(ctx.plan, ctx.registry, { component, onWarning: (message) => ctx.onEvent({ type: 'warning', component, message }) })).find(
      (e) => e.id === backupId,
    );
    if (!entry) {
      throw new UsageError(`no complete backup ${backupId} of ${component} in any destination; lifeboat list ${component} shows them`);
    }
    const pin: Pin = { lifeboat: 'pin', component, backupId, reason: reason.trim(), pinnedAt: nowOf(ctx).toISOString(), host: hostname() };
    const body = Buffer.from(JSON.stringify(pin, null, 2) + '\n');
    const warnings: string[] = [];
    for (const name of entry.destinations) {
      const repository = ctx.registry.repository(ctx.plan, name);
      await repository.adapter.put(pinKey(repository, component, backupId), Readable.from([body]));
      ctx.onEvent({ type: 'step', component, message: `pinned ${backupId} in ${repository.description}: ${pin.reason}` });
      for (const { key, rule, deleter } of lifecycleRulesFor(ctx.plan, name, component)) {
        if (rule.expireDays === undefined) continue;
        const goes = new Date(Date.parse(entry.manifest.finishedAt) + rule.expireDays * 86_400_000).toISOString().slice(0, 10);
        warnings.push(`lifecycle.${key} deletes objects in ${name} after ${rule.expireDays} days whatever a pin says: ${deleter} will delete this backup there around ${goes}`);
      }
    }
    for (const message of warnings) ctx.onEvent({ type: 'warning', component, message });
    return { component, backupId, destinations: entry.destinations, warnings };
  });
}

/** Removes the backup's pin from every destination of the component (also ones whose copy is already gone). */
export async function unpinBackup(ctx: EngineContext, component: string, backupId: string): Promise<PinOutcome> {
  return withComponentLock(ctx, component, backupId, 'unpin', async () => {
    const removed: string[] = [];
    for (const name of ctx.registry.component(ctx.plan, component).destinations) {
      const repository = ctx.registry.repository(ctx.plan, name);
      const key = pinKey(repository, component, backupId);
      if (!(await repository.adapter.head(key))) continue;
      await repository.adapter.delete([key]);
      removed.push(name);
      ctx.onEvent({ type: 'step', component, message: `unpinned ${backupId} in ${repository.description}` });
    }
    return { component, backupId, destinations: removed, warnings: [] };
  });
}

/** Pins change what prune deletes, so they take the component's lock: a prune never decides on a stale view of them. */
async function withComponentLock<T>(ctx: EngineContext, component: string, backupId: string, operation: string, work: () => Promise<T>): Promise<T> {
  ctx.registry.component(ctx.plan, component);
  if (!isId(backupId)) throw new UsageError(`'${backupId}' is not a backup id (expected something like 20260214T020000Z-3f9a1c)`);
  const lock = acquireLock(ctx.lockDir, `${ctx.plan.name}.${component}`, operation);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
