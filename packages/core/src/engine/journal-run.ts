import { ExitCode, LifeboatError, describeError } from '../errors.js';
import type { Operation } from '../events.js';
import { runRecord, writeRunRecord, type RunComponentRecord, type RunRecord } from '../journal/journal.js';
import { newId } from '../repository/ids.js';
import { guarded, identityFor, nowOf, type EngineContext } from './context.js';

export interface JournalOptions {
  /** Where the record goes (default: every destination of its components). */
  destinations?: string[];
  /** When the run finished (default: now, by the context's clock). */
  finishedAt?: Date;
}

/**
 * Records a finished run in the journal of every destination its components
 * use, so status, history and the TUI can tell "checked, unchanged", "failed"
 * and "never ran" apart from any machine. A journal that cannot be written is a
 * warning, never a failed run.
 */
export async function journalRun(
  ctx: EngineContext,
  run: Omit<RunRecord, 'format' | 'host' | 'user' | 'plan' | 'toolVersion' | 'finishedAt'>,
  opts: JournalOptions = {},
): Promise<void> {
  const destinations = opts.destinations ?? [...new Set(run.components.flatMap((c) => ctx.plan.components[c.component]?.destinations ?? []))];
  await writeRunRecord(
    destinations.map((d) => ctx.registry.repository(ctx.plan, d)),
    runRecord({ ...run, plan: ctx.plan.name, toolVersion: ctx.toolVersion, finishedAt: (opts.finishedAt ?? nowOf(ctx)).toISOString() }, identityFor(ctx)),
    (message) => ctx.onEvent({ type: 'warning', message }),
  );
}

/** What a run's body hands back to `inRun`. */
export interface RunReport<T> {
  value: T;
  exitCode: number;
  /** The journal's view of each component; absent: the run is not journaled (a dry run changes nothing). */
  journal?: RunComponentRecord[];
}

export interface RunInfo {
  runId: string;
  startedAt: Date;
}

/**
 * The one wrapper around every operation: `run.started`, the body, exactly
 * one journal record (with user and host), `run.finished`. The body gets the
 * context with its listener guarded, so a view that throws cannot break it.
 * A body that throws is journaled as failed and rethrown — unless it refused
 * bad input (exit 2): a refusal changed nothing and leaves no record.
 */
export async function inRun<T, C extends EngineContext>(
  ctx: C,
  spec: { operation: Operation; components: string[] },
  body: (ctx: C, run: RunInfo) => Promise<RunReport<T>>,
): Promise<T> {
  const safe = guarded(ctx);
  const startedAt = nowOf(safe);
  const runId = newId(startedAt);
  const started = Date.now();
  safe.onEvent({ type: 'run.started', runId, operation: spec.operation, components: spec.components, at: startedAt.toISOString() });
  const finish = async (exitCode: number, journal: RunComponentRecord[] | undefined) => {
    if (journal) await journalRun(safe, { id: runId, operation: spec.operation, startedAt: startedAt.toISOString(), durationMs: Date.now() - started, exitCode, components: journal });
    safe.onEvent({ type: 'run.finished', runId, outcome: exitCode === ExitCode.ok ? 'ok' : 'failed', durationMs: Date.now() - started, exitCode });
  };
  let report: RunReport<T>;
  try {
    report = await body(safe, { runId, startedAt });
  } catch (err) {
    const exitCode = err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
    const error = describeError(err);
    await finish(
      exitCode,
      exitCode === ExitCode.usage ? undefined : spec.components.map((component) => ({ component, outcome: exitCode === ExitCode.locked ? 'locked' : 'failed', error, durationMs: Date.now() - started })),
    );
    throw err;
  }
  await finish(report.exitCode, report.journal);
  return report.value;
}
