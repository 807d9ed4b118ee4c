import { UsageError, type EngineContext, type Repository } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';

export interface WalComponent {
  component: string;
  require: 'all' | 'any';
  repositories: Repository[];
}

/** The component's destinations, opened; a component that is not postgres with `pitr:` is refused (exit 2). */
export function walComponent(ctx: EngineContext, component: string): WalComponent {
  const entry = ctx.registry.component(ctx.plan, component) as ReturnType<EngineContext['registry']['component']> & Partial<PostgresConfig>;
  if (entry.type !== 'postgres') {
    throw new UsageError(`${ctx.plan.file}: components.${component} is of type ${entry.type}; only postgres components archive WAL`);
  }
  if (!entry.pitr) {
    throw new UsageError(`${ctx.plan.file}: components.${component} has no pitr: (such as pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }), so it archives no WAL`);
  }
  return { component, require: entry.require, repositories: entry.destinations.map((d) => ctx.registry.repository(ctx.plan, d)) };
}
