import { join } from 'node:path';
import { UsageError, nowOf, type EngineContext, type Repository } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { spoolBacklog, type WalSpool, type WalSpoolBacklog } from './spool.js';

export interface WalComponent {
  component: string;
  require: 'all' | 'any';
  repositories: Repository[];
}

type PitrEntry = ReturnType<EngineContext['registry']['component']> & PostgresConfig & { pitr: NonNullable<PostgresConfig['pitr']> };

/** The component's plan entry; a component that is not postgres with `pitr:` is refused (exit 2). */
export function pitrEntry(ctx: EngineContext, component: string): PitrEntry {
  const entry = ctx.registry.component(ctx.plan, component) as ReturnType<EngineContext['registry']['component']> & Partial<PostgresConfig>;
  if (entry.type !== 'postgres') {
    throw new UsageError(`${ctx.plan.file}: components.${component} is of type ${entry.type}; only postgres components archive WAL`);
  }
  if (!entry.pitr) {
    throw new UsageError(`${ctx.plan.file}: components.${component} has no pitr: (such as pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }), so it archives no WAL`);
  }
  return entry as PitrEntry;
}

/** The component's destinations, opened. */
export function walComponent(ctx: EngineContext, component: string): WalComponent {
  const entry = pitrEntry(ctx, component);
  return { component, require: entry.require, repositories: entry.destinations.map((d) => ctx.registry.repository(ctx.plan, d)) };
}

/** The component's spool when its plan has `pitr.async`, else undefined (wal push stores each file itself). */
export function walSpool(ctx: EngineContext, component: string): WalSpool | undefined {
  const async = pitrEntry(ctx, component).pitr.async;
  return async ? { component, dir: join(async.spool, component), maxBytes: async.maxSize, planFile: ctx.plan.file } : undefined;
}

/**
 * The spool backlog of `component` (files and bytes waiting, the oldest and
 * its age, the last error, whether a pusher runs), or undefined when it does
 * not archive asynchronously. `status` shows it.
 */
export async function walSpoolBacklog(ctx: EngineContext, component: string): Promise<WalSpoolBacklog | undefined> {
  const spool = walSpool(ctx, component);
  return spool ? spoolBacklog(spool, nowOf(ctx)) : undefined;
}

/** pitr.prefetch: how many segments `wal get` fetches ahead (0: off). */
export function walPrefetchCount(ctx: EngineContext, component: string): number {
  return pitrEntry(ctx, component).pitr.prefetch;
}
