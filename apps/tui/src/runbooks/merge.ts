import type { Plan, Runbook } from '@lifeboat/core';
import { DEFAULT_RUNBOOKS } from './defaults.js';

export interface RunbookEntry {
  runbook: Runbook;
  /** `plan` when the plan replaced a shipped runbook (same id) or added one. */
  source: 'shipped' | 'plan';
}

/** The shipped runbooks in their order, each replaced by the plan's of the same id; the plan's new ones after. */
export function runbooksFor(plan: Pick<Plan, 'runbooks'>, defaults: readonly Runbook[] = DEFAULT_RUNBOOKS): RunbookEntry[] {
  const mine = new Map(plan.runbooks.map((r) => [r.id, r]));
  const shipped = defaults.map((d): RunbookEntry => {
    const override = mine.get(d.id);
    return override ? { runbook: override, source: 'plan' } : { runbook: d, source: 'shipped' };
  });
  const added = plan.runbooks.filter((r) => !defaults.some((d) => d.id === r.id)).map((runbook): RunbookEntry => ({ runbook, source: 'plan' }));
  return [...shipped, ...added];
}
