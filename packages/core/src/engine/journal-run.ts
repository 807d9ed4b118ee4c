import { runRecord, writeRunRecord, type RunRecord } from '../journal/journal.js';
import { nowOf, type EngineContext } from './context.js';

/**
 * Records a finished run in the journal of every destination its components
 * use, so status, history and the TUI can tell "checked, unchanged", "failed"
 * and "never ran" apart from any machine. A journal that cannot be written is a
 * warning, never a failed run.
 */
export async function journalRun(ctx: EngineContext, run: Omit<RunRecord, 'format' | 'host' | 'plan' | 'toolVersion' | 'finishedAt'>): Promise<void> {
  const destinations = [...new Set(run.components.flatMap((c) => ctx.plan.components[c.component]?.destinations ?? []))];
  await writeRunRecord(
    destinations.map((d) => ctx.registry.repository(ctx.plan, d)),
    runRecord({ ...run, plan: ctx.plan.name, toolVersion: ctx.toolVersion, finishedAt: nowOf(ctx).toISOString() }),
    (message) => ctx.onEvent({ type: 'warning', message }),
  );
}
