import { formatBytes, manifestBytes, type CatalogEntry } from '@lifeboat/core';
import { choiceOf, type Chosen, type Targets } from './targets.js';

export interface PlanInput {
  component: string;
  backup: CatalogEntry;
  target: Chosen;
  clean: boolean;
  /** What the engine said when it chose the backup for the target (`previewRestore`): said first, after any beforeRestore hooks. */
  chosenBy?: string[];
}

/**
 * Exactly what the restore will do, in order, as sentences: the person
 * reads this before anything is touched. The plan's hooks and the drill are
 * the engine's; what happens between the hooks is the strategy's to say.
 */
export function restorePlan(targets: Targets, input: PlanInput): string[] {
  const { component, backup, target, clean } = input;
  const entry = targets.component;
  if (target.kind === 'drill') return drillLines(targets, input);
  const choice = choiceOf(targets, target.kind);
  const live = choice.production ? ` — PRODUCTION, the live ${component}` : '';
  const body = targets.surface.describe({ component, config: entry, manifest: backup.manifest, source: source(backup), chosen: target, clean, live });
  // A restore beside the target replaces nothing, so the engine runs no hooks around it.
  const chosenBy = input.chosenBy ?? [];
  if (choice.beside) return [body.withoutBeforeHooks ?? 'no hooks run: nothing is replaced', ...chosenBy, ...body.restore, ...(body.after ?? [])];
  const before =
    entry.hooks.beforeRestore.length > 0 ? entry.hooks.beforeRestore.map((c) => `run beforeRestore: ${c}`) : [body.withoutBeforeHooks ?? 'no beforeRestore hooks in the plan'];
  const after =
    entry.hooks.afterRestore.length > 0 ? entry.hooks.afterRestore.map((c) => `then, only if every check passes, run afterRestore: ${c}`) : ['no afterRestore hooks in the plan'];
  return [...before, ...chosenBy, ...body.restore, ...after, ...(body.after ?? [])];
}

const source = (backup: CatalogEntry) => `backup ${backup.id} (${formatBytes(manifestBytes(backup.manifest))}, from ${backup.destinations[0]})`;

function drillLines(targets: Targets, input: PlanInput): string[] {
  const { backup, target } = input;
  const { place, fresh, kept } = targets.surface.drill(target.value);
  return [
    `restore ${source(backup)} into the drill target: ${place}${fresh ? ` ${fresh} for this` : ''}; never production`,
    targets.surface.checks(backup.manifest),
    targets.component.drill?.healthCheck ? `run the health check: ${targets.component.drill.healthCheck}` : 'no health check in the plan (drill.healthCheck)',
    `${kept ? `leave ${kept} for inspection` : 'remove the scratch target'}; the run goes into the journal as a drill with its RTO actual`,
    'no hooks run: a drill leaves the services alone',
  ];
}
