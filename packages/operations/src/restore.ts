import { ExitCode, LifeboatError, guarded, runRestore, type RestoreOutcome, type RestoreRequest, type RestoreSelection } from '@lifeboat/core';
import type { OperationsContext } from './context.js';

/**
 * `lifeboat restore`, and the TUI's restore wizard: the restore (journaled by
 * the engine), and a sev1 alert when it fails — not when it refused bad
 * input (exit 2), which changed nothing.
 */
export async function restore(ctx: OperationsContext, selection: RestoreSelection, request: RestoreRequest): Promise<RestoreOutcome & { backupId: string }> {
  const safe = guarded(ctx);
  try {
    return await runRestore(safe, selection, request);
  } catch (err) {
    if (err instanceof LifeboatError && err.exitCode !== ExitCode.usage) {
      await safe.alerter.failure(safe.plan, 'restore', selection.component, 'sev1', err.message, err.exitCode);
    }
    throw err;
  }
}
