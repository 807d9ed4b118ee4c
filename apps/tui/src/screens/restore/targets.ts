import { formatBytes, manifestBytes, type CatalogEntry, type ComponentPlan } from '@lifeboat/core';

export type Component = ComponentPlan & Record<string, unknown>;

export type TargetKind = 'drill' | 'production' | 'typed';

export interface TargetChoice {
  kind: TargetKind;
  label: string;
  /** What the engine is told (`--to`); a typed target has none until typed. */
  value?: string;
}

/** The component's own source (`url`), which is where production lives; undefined for kinds without one. */
export function productionTarget(component: Component): string | undefined {
  return typeof component.url === 'string' ? component.url : undefined;
}

export function isProduction(component: Component, target: string): boolean {
  return productionTarget(component) === target.trim();
}

/** Where the plan says a backup of this component can go, and the choice to type another. */
export function targetChoices(component: Component): TargetChoice[] {
  const choices: TargetChoice[] = [];
  if (component.drill) {
    const where = component.drill.target === 'ephemeral' ? 'a throwaway server, removed afterwards' : `a scratch database on ${component.drill.target}`;
    choices.push({ kind: 'drill', label: `drill target: ${where}`, value: component.drill.target });
  }
  const own = productionTarget(component);
  if (own) choices.push({ kind: 'production', label: `production: ${own} (the component's own)`, value: own });
  choices.push({ kind: 'typed', label: 'type a target: env:NAME, file:/path, or a URL without password' });
  return choices;
}

export interface Chosen {
  kind: TargetKind;
  value: string;
}

/**
 * Exactly what the restore will do, in order, as sentences: the person
 * reads this before anything is touched.
 */
export function restorePlan(opts: { component: string; entry: Component; backup: CatalogEntry; target: Chosen; clean: boolean }): string[] {
  const { component, entry, backup, target, clean } = opts;
  const tables = Object.keys((backup.manifest.facts.tables as Record<string, number> | undefined) ?? {});
  const checks = tables.length > 0 ? `compare the row counts recorded at backup time (${tables.join(', ')})` : 'run the checks the backup recorded';
  const from = `backup ${backup.id} (${formatBytes(manifestBytes(backup.manifest))}, from ${backup.destinations[0]})`;
  if (target.kind === 'drill') {
    return [
      `restore ${from} into the drill target: ${target.value === 'ephemeral' ? 'a throwaway server started for this' : `a new scratch database on ${target.value}`}; never production`,
      checks,
      entry.drill?.healthCheck ? `run the health check: ${entry.drill.healthCheck}` : 'no health check in the plan (drill.healthCheck)',
      'remove the scratch target; the run goes into the journal as a drill with its RTO actual',
      'no hooks run: a drill leaves the services alone',
    ];
  }
  const postgres = entry.type === 'postgres';
  const lines = [
    ...(entry.hooks.beforeRestore.length > 0 ? entry.hooks.beforeRestore.map((c) => `run beforeRestore: ${c}`) : ['no beforeRestore hooks in the plan']),
    `restore ${from} into ${target.value}${target.kind === 'production' ? ` — PRODUCTION, the live ${component}` : ''}`,
    postgres
      ? clean
        ? 'clean is ON: if the database holds tables, DROP it and create it again (all its data is lost)'
        : 'clean is off: a database that already holds tables is refused, nothing is dropped'
      : clean
        ? 'clean is ON: what the target holds is removed first'
        : 'clean is off: a target that already holds data is refused',
    checks,
    ...(entry.hooks.afterRestore.length > 0
      ? entry.hooks.afterRestore.map((c) => `then, only if every check passes, run afterRestore: ${c}`)
      : ['no afterRestore hooks in the plan']),
  ];
  return lines;
}
