import { guarded, runPrune, type PruneOptions, type PruneOutcome } from '@lifeboat/core';
import type { OperationsContext } from './context.js';

/** `lifeboat prune`: applies retention, and alerts sev3 per component whose prune failed. */
export async function prune(ctx: OperationsContext, components: string[], opts: PruneOptions): Promise<PruneOutcome> {
  const safe = guarded(ctx);
  const outcome = await runPrune(safe, components, opts);
  for (const r of outcome.results) {
    if (r.outcome === 'failed') await safe.alerter.failure(safe.plan, 'prune', r.component, 'sev3', r.error ?? 'failed', r.exitCode);
  }
  return outcome;
}
