import type { Plan, Registry, Runbook, RunbookContribution } from '@lifeboat/core';
import { DEFAULT_RUNBOOKS } from './defaults.js';

export interface RunbookEntry {
  runbook: Runbook;
  /** `plan` when the plan replaced a shipped runbook (same id) or added one. */
  source: 'shipped' | 'plan';
}

/**
 * The shipped runbooks in their order, each replaced by the plan's of the
 * same id; the plan's new ones after. A shipped runbook gets the steps the
 * plan's kinds add to it (`Strategy.runbookSteps`, per component, in plan
 * order), so it offers only what this plan has.
 */
export function runbooksFor(
  plan: Pick<Plan, 'runbooks'> & Partial<Pick<Plan, 'components'>>,
  defaults: readonly Runbook[] = DEFAULT_RUNBOOKS,
  registry?: Pick<Registry, 'strategy'>,
): RunbookEntry[] {
  const mine = new Map(plan.runbooks.map((r) => [r.id, r]));
  const added = kindSteps(plan, registry);
  const shipped = defaults.map((d): RunbookEntry => {
    const override = mine.get(d.id);
    if (override) return { runbook: override, source: 'plan' };
    const own = added.filter((c) => c.runbook === d.id);
    if (own.length === 0) return { runbook: d, source: 'shipped' };
    const at = (where: RunbookContribution['at']) => own.filter((c) => c.at === where).map((c) => c.step);
    return { runbook: { ...d, steps: [...at('start'), ...d.steps, ...at('end')] }, source: 'shipped' };
  });
  const extra = plan.runbooks.filter((r) => !defaults.some((d) => d.id === r.id)).map((runbook): RunbookEntry => ({ runbook, source: 'plan' }));
  return [...shipped, ...extra];
}

function kindSteps(plan: Partial<Pick<Plan, 'components'>>, registry: Pick<Registry, 'strategy'> | undefined): RunbookContribution[] {
  if (!registry || !plan.components) return [];
  return Object.values(plan.components).flatMap((c) => registry.strategy(c.type).runbookSteps?.(c.name, c) ?? []);
}
