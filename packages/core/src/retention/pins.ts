/**
 * Pins: a person's "keep this one" on a single backup (before a migration, for
 * an investigation). A pin is a small `pin.json` beside the manifest in every
 * destination holding the backup — never a change to the manifest, whose
 * bytes are the backup's record — so any machine's prune sees it.
 */
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { NotFoundError, UsageError } from '../errors.js';
import { readCatalog } from '../engine/catalog.js';
import { nowOf, type EngineContext } from '../engine/context.js';
import { acquireLock } from '../engine/lock.js';
import { isId } from '../repository/ids.js';
import type { Repository } from '../repository/repository.js';
import { lifecycleRulesFor } from './plan-check.js';

export const PIN_NAME = 'pin.json';

export interface Pin {
  lifeboat: 'pin';
  component: string;
  backupId: string;
  reason: string;
  pinnedAt: string;
  host: string;
}

export function pinKey(repository: Repository, component: string, backupId: string): string {
  return repository.backupPrefix(component, backupId) + PIN_NAME;
}

/** The backup's pin in this destination; a pin that cannot be parsed still pins (deleting on a guess is worse). */
export async function readPin(repository: Repository, component: string, backupId: string): Promise<Pin | undefined> {
  let text: string;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await repository.adapter.get(pinKey(repository, component, backupId))) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const unreadable: Pin = { lifeboat: 'pin', component, backupId, reason: `${PIN_NAME} is unreadable (kept to be safe)`, pinnedAt: '', host: '' };
  try {
    const pin = JSON.parse(text) as Partial<Pin>;
    return typeof pin.reason === 'string' && pin.reason.trim() !== '' ? { ...unreadable, ...pin, reason: pin.reason } : unreadable;
  } catch {
    return unreadable;
  }
}

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
