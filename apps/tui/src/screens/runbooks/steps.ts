import type { Plan, Runbook, RunbookStep } from '@lifeboat/core';
import { journalRunbook } from '@lifeboat/operations';
import type { TuiServices } from '../../services.js';
import { sessionDetails, type RunbookScope, type Session } from './runbooks-state.js';

/** The plan's components named in `wanted` by name or by type, in plan order. */
function matching(plan: Pick<Plan, 'components'>, wanted: readonly string[]): string[] {
  return Object.values(plan.components)
    .filter((c) => wanted.includes(c.name) || wanted.includes(c.type))
    .map((c) => c.name);
}

/**
 * What a runbook acts on in this plan: the components its scenario is about
 * (`about`, by name or type; all of them without it), and per step the
 * components of its action (`action.component`, by name or type, else the
 * scenario's). A restore is of one component: of several candidates, the one
 * selected on the dashboard when it is one of them — never a component the
 * scenario is not about.
 */
export function runbookScope(runbook: Runbook, plan: Pick<Plan, 'components'>, selected: string | undefined): RunbookScope {
  const components = runbook.about ? matching(plan, runbook.about) : Object.keys(plan.components);
  const targets = runbook.steps.map((step) => {
    if (!step.action) return [];
    const candidates = step.action.component === undefined ? components : matching(plan, [step.action.component]);
    if (step.action.type === 'restore' && candidates.length > 1 && selected !== undefined && candidates.includes(selected)) return [selected];
    return candidates;
  });
  return { components, targets };
}

/** Why an action step cannot run as resolved (no component, or a restore of several); undefined when it can. */
export function stepRefusal(session: Session, index: number): string | undefined {
  const step = session.runbook.steps[index]!;
  const targets = session.targets[index] ?? [];
  if (!step.action || step.action.type === 'status') return undefined;
  if (targets.length === 0) {
    const wanted = step.action.component ?? session.runbook.about?.join(', ');
    return `step ${index + 1} acts on ${wanted ?? 'the plan’s components'}, and this plan has no such component`;
  }
  if (step.action.type === 'restore' && targets.length > 1) {
    return `step ${index + 1} restores one component, and this runbook is about ${targets.join(', ')}: select the one to restore on the dashboard before opening the runbook, or name it in the step's action.component`;
  }
  return undefined;
}

/**
 * Saves a finished session to every destination of the plan as a run record
 * (operation `runbook`): the RTO actual and each step's outcome, so history
 * and any other machine see the recovery — once per component the scenario
 * is about, each against its own RTO.
 */
export function recordSession(services: TuiServices, session: Session, onWarning: (m: string) => void): Promise<string> {
  const ctx = services.engine((event) => {
    if (event.type === 'warning') onWarning(event.message);
  });
  return journalRunbook(ctx, {
    ...sessionDetails(session),
    runbook: { id: session.runbook.id, title: session.runbook.title },
    components: session.components,
    startedAt: new Date(session.startedAt ?? session.finishedAt ?? Date.now()),
    finishedAt: new Date(session.finishedAt ?? Date.now()),
  });
}
