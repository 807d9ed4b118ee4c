import { inRun, pinBackup, unpinBackup, type PinOutcome } from '@lifeboat/core';
import type { OperationsContext } from './context.js';

/** `lifeboat pin`: pins the backup in every destination holding it, journaled with its reason. */
export function pin(ctx: OperationsContext, component: string, backupId: string, reason: string): Promise<PinOutcome> {
  return pinRun(ctx, 'pin', component, backupId, { reason: reason.trim() }, (ctx) => pinBackup(ctx, component, backupId, reason));
}

/** `lifeboat unpin`: removes the pin wherever it is, journaled (also when there was none: `destinations` is empty). */
export function unpin(ctx: OperationsContext, component: string, backupId: string): Promise<PinOutcome> {
  return pinRun(ctx, 'unpin', component, backupId, {}, (ctx) => unpinBackup(ctx, component, backupId));
}

function pinRun(
  ctx: OperationsContext,
  operation: 'pin' | 'unpin',
  component: string,
  backupId: string,
  details: Record<string, unknown>,
  work: (ctx: OperationsContext) => Promise<PinOutcome>,
): Promise<PinOutcome> {
  return inRun(ctx, { operation, components: [component] }, async (ctx) => {
    const started = Date.now();
    const outcome = await work(ctx);
    const { destinations, warnings } = outcome;
    return {
      value: outcome,
      exitCode: 0,
      journal: [{ component, outcome: 'ok', backupId, durationMs: Date.now() - started, details: { ...details, destinations, ...(warnings.length > 0 ? { warnings } : {}) } }],
    };
  });
}
