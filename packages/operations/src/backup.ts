import { assertPlanAgrees, autoPrune, guarded, nowOf, runBackup, type PruneOutcome, type RunOutcome } from '@lifeboat/core';
import type { OperationsContext } from './context.js';

/**
 * `lifeboat backup`, and a backup from the TUI: the plan check (a lifecycle
 * rule that contradicts retention or a legal hold refuses the run before
 * anything is written), the backup, auto-prune of what it committed, a sev2
 * alert per failed component, and the start/success/fail pings around it.
 */
export async function backup(ctx: OperationsContext, components: string[]): Promise<RunOutcome & { pruned?: PruneOutcome }> {
  const safe = guarded(ctx);
  const { plan, alerter } = safe;
  assertPlanAgrees(plan, nowOf(safe));
  await alerter.ping(plan, 'start');
  const outcome = await runBackup(safe, components);
  const pruned = await autoPrune(safe, outcome.results);
  for (const r of outcome.results) {
    if (r.outcome === 'failed') await alerter.failure(plan, 'backup', r.component, 'sev2', r.error ?? 'failed', r.exitCode);
  }
  await alerter.ping(plan, outcome.exitCode === 0 ? 'success' : 'fail', outcome.exitCode);
  return { ...outcome, ...(pruned ? { pruned } : {}) };
}
