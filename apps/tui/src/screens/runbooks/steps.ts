import { ExitCode, describeError, newId, runBackup, runHooks, runRecord, writeRunRecord, type EngineContext, type RunbookStep } from '@lifeboat/core';
import { readStatus, runDrill, runVerify } from '@lifeboat/verify';
import type { TuiServices } from '../../services.js';
import { sessionDetails, type Session } from './runbooks-state.js';

/** The component a step acts on: its own, else the one selected when the runbook was opened. */
export const stepComponent = (step: RunbookStep, session: Session) => step.action?.component ?? session.component;

/**
 * Runs an automated step through the same package functions as the CLI: a
 * command through `runHooks` (the plan's hook runner: /bin/sh in the plan's
 * folder), an action through runBackup / runVerify / runDrill / readStatus.
 * Restore is not here: it opens the wizard. Resolves with the exit code.
 */
export async function runStep(ctx: EngineContext, services: TuiServices, step: RunbookStep, component: string, line: (text: string) => void): Promise<{ exitCode: number }> {
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
      return runBackup(ctx, [component]);
    case 'verify':
      return runVerify(ctx, { components: [component], deep: false });
    case 'drill':
      return runDrill(ctx, [component]);
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
 * and any other machine see the recovery.
 */
export async function recordSession(services: TuiServices, session: Session, onWarning: (m: string) => void): Promise<string> {
  const startedAt = new Date(session.startedAt ?? session.finishedAt ?? Date.now());
  const finishedAt = new Date(session.finishedAt ?? Date.now());
  const { exitCode, rtoActualMs, steps } = sessionDetails(session);
  const id = newId(startedAt);
  const component = services.plan.components[session.component];
  const record = runRecord({
    id,
    operation: 'runbook',
    plan: services.plan.name,
    toolVersion: services.version,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: rtoActualMs,
    exitCode,
    components: [
      {
        component: session.component,
        outcome: exitCode === 0 ? 'ok' : 'failed',
        durationMs: rtoActualMs,
        ...(exitCode === 0 ? {} : { error: `${steps.filter((s) => s.outcome === 'failed' || s.outcome === 'not done').length} step(s) failed or not done` }),
        details: { runbook: session.runbook.id, title: session.runbook.title, rtoActualMs, ...(component ? { rtoTargetMs: component.rto } : {}), steps },
      },
    ],
  });
  const repositories = Object.keys(services.plan.destinations).map((d) => services.registry.repository(services.plan, d));
  await writeRunRecord(repositories, record, onWarning);
  return id;
}
