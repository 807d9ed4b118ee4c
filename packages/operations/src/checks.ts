import { ExitCode, guarded } from '@lifeboat/core';
import type { CopyVerification, DrillResult, VerifyOptions } from '@lifeboat/verify';
import type { OperationsContext } from './context.js';

// verify's checks load when a verify or drill runs, not with every command that imports the operations.
const checks = () => import('@lifeboat/verify');

/** `lifeboat verify`: re-reads the copies, and alerts sev2 per component with damage. */
export async function verify(ctx: OperationsContext, opts: VerifyOptions): Promise<{ exitCode: number; copies: CopyVerification[] }> {
  const safe = guarded(ctx);
  const { runVerify } = await checks();
  const outcome = await runVerify(safe, opts);
  for (const component of opts.components) {
    const damaged = outcome.copies.filter((c) => c.component === component && !c.ok);
    if (damaged.length > 0) await safe.alerter.failure(safe.plan, 'verify', component, 'sev2', damaged.flatMap((c) => c.problems).join('\n'), outcome.exitCode);
  }
  return outcome;
}

/** `lifeboat drill`: restores into the drill target, and alerts sev1 per failed drill (not for a plan without a drill target: exit 2). */
export async function drill(ctx: OperationsContext, components: string[], opts: { backupId?: string } = {}): Promise<{ exitCode: number; results: DrillResult[] }> {
  const safe = guarded(ctx);
  const { runDrill } = await checks();
  const outcome = await runDrill(safe, components, opts);
  for (const r of outcome.results) {
    if (!r.ok && r.exitCode !== ExitCode.usage) await safe.alerter.failure(safe.plan, 'drill', r.component, 'sev1', r.error ?? 'failed', r.exitCode);
  }
  return outcome;
}
