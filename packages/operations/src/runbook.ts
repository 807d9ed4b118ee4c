import { ExitCode, describeError, journalRun, newId, runHooks, type RunbookStep } from '@lifeboat/core';
import { backup } from './backup.js';
import { drill, verify } from './checks.js';
import type { OperationsContext } from './context.js';

/**
 * Runs a runbook's automated step through the same functions as the CLI: a
 * command through `runHooks` (the plan's hook runner: /bin/sh in the plan's
 * folder), an action through backup / verify / drill (plan check, auto-prune,
 * alerts and journal included) or readStatus. A restore step is not here: the
 * TUI's wizard runs `restore`. Resolves with the exit code.
 */
export async function runbookStep(ctx: OperationsContext, step: RunbookStep, components: string[], line: (text: string) => void): Promise<{ exitCode: number }> {
  if (step.command) {
    try {
      await runHooks({ name: 'runbook', commands: [step.command], cwd: ctx.plan.dir, env: ctx.env, signal: ctx.signal, onOutput: line });
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
      return backup(ctx, components);
    case 'verify':
      return verify(ctx, { components, deep: false });
    case 'drill':
      return drill(ctx, components);
    case 'status': {
      const { readStatus } = await import('@lifeboat/verify');
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

/** A finished runbook session, as the TUI measured it. */
export interface RunbookSession {
  runbook: { id: string; title: string };
  /** The components its scenario is about: one journal entry each, against its own RTO. */
  components: string[];
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  rtoActualMs: number;
  steps: Array<Record<string, unknown>>;
}

/**
 * Journals a finished session (operation `runbook`) in every destination of
 * the plan, so history and any other machine see the recovery and its RTO
 * actual. Resolves with the record's id.
 */
export async function journalRunbook(ctx: OperationsContext, session: RunbookSession): Promise<string> {
  const { exitCode, rtoActualMs, steps } = session;
  const id = newId(session.startedAt);
  const failedSteps = steps.filter((s) => s.outcome === 'failed' || s.outcome === 'not done').length;
  await journalRun(
    ctx,
    {
      id,
      operation: 'runbook',
      startedAt: session.startedAt.toISOString(),
      durationMs: rtoActualMs,
      exitCode,
      components: session.components.map((name) => {
        const component = ctx.plan.components[name];
        return {
          component: name,
          outcome: exitCode === 0 ? 'ok' : 'failed',
          durationMs: rtoActualMs,
          ...(exitCode === 0 ? {} : { error: `${failedSteps} step(s) failed or not done` }),
          details: { runbook: session.runbook.id, title: session.runbook.title, rtoActualMs, ...(component ? { rtoTargetMs: component.rto } : {}), steps },
        };
      }),
    },
    { destinations: Object.keys(ctx.plan.destinations), finishedAt: session.finishedAt },
  );
  return id;
}
