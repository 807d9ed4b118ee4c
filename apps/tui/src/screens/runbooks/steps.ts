import { ExitCode, describeError, newId, runBackup, runHooks, runRecord, writeRunRecord, type EngineContext, type Plan, type Runbook, type RunbookStep } from '@lifeboat/core';
import { readStatus, runDrill, runVerify } from '@lifeboat/verify';
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
 * Runs an automated step through the same package functions as the CLI: a
 * command through `runHooks` (the plan's hook runner: /bin/sh in the plan's
 * folder), an action through runBackup / runVerify / runDrill / readStatus.
 * Restore is not here: it opens the wizard. Resolves with the exit code.
 */
export async function runStep(ctx: EngineContext, services: TuiServices, step: RunbookStep, components: string[], line: (text: string) => void): Promise<{ exitCode: number }> {
  if (step.command) {
    try {
      await runHooks({ name: 'runbook', commands: [step.command], cwd: services.plan.dir, env: ctx.env, signal: ctx.signal, onOutput: line });
      line('exit code 0');
      return { exitCode: 0 };
    } catch (err) {
      const exitCode = commandExitCode(describeError(err));
      line(`exit code ${exitCode}`);
      throw Object.assign(new Error(describeError(err)), { exitCode });
    }
  }
  switch (step.action?.type) {
    case 'backup':
      return runBackup(ctx, components);
    case 'verify':
      return runVerify(ctx, { components, deep: false });
    case 'drill':
      return runDrill(ctx, components);
    case 'status': {
      const statuses = await readStatus(ctx);
      for (const s of statuses) {
        line(`${s.component}: ${s.health}${s.lastBackup ? `, last backup ${s.lastBackup.id}` : ', never backed up'}`);
        for (const reason of s.reasons) line(`  ${reason}`);
      }
      // As `lifeboat status`: 3 unless every component is healthy.
      return { exitCode: statuses.every((s) => s.health === 'ok') ? ExitCode.ok : ExitCode.unhealthy };
    }
    default:
      throw new Error(`step "${step.title}" has nothing to run`);
  }
}

/** The child's exit code from the engine's sentence (`… exited with code 3: …`); 1 when it names none. */
export function commandExitCode(sentence: string): number {
  const match = /exited with code (\d+)/.exec(sentence);
  return match ? Number(match[1]) : 1;
}

/**
 * Saves a finished session to every destination of the plan as a run record
 * (operation `runbook`): the RTO actual and each step's outcome, so history
 * and any other machine see the recovery — once per component the scenario
 * is about, each against its own RTO.
 */
export async function recordSession(services: TuiServices, session: Session, onWarning: (m: string) => void): Promise<string> {
  const startedAt = new Date(session.startedAt ?? session.finishedAt ?? Date.now());
  const finishedAt = new Date(session.finishedAt ?? Date.now());
  const { exitCode, rtoActualMs, steps } = sessionDetails(session);
  const id = newId(startedAt);
  const record = runRecord({
    id,
    operation: 'runbook',
    plan: services.plan.name,
    toolVersion: services.version,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: rtoActualMs,
    exitCode,
    components: session.components.map((name) => {
      const component = services.plan.components[name];
      return {
        component: name,
        outcome: exitCode === 0 ? 'ok' : 'failed',
        durationMs: rtoActualMs,
        ...(exitCode === 0 ? {} : { error: `${steps.filter((s) => s.outcome === 'failed' || s.outcome === 'not done').length} step(s) failed or not done` }),
        details: { runbook: session.runbook.id, title: session.runbook.title, rtoActualMs, ...(component ? { rtoTargetMs: component.rto } : {}), steps },
      };
    }),
  });
  const repositories = Object.keys(services.plan.destinations).map((d) => services.registry.repository(services.plan, d));
  await writeRunRecord(repositories, record, onWarning);
  return id;
}
