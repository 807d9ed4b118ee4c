import { assertPlanAgrees, autoPrune, nowOf, runBackup } from '@lifeboat/core';
import type { CommandContext } from '../main.js';
import { selectComponents } from './select.js';

export async function backupCommand(ctx: CommandContext, names: string[]): Promise<number> {
  const plan = await ctx.loadPlan();
  const components = selectComponents(plan, names);
  const engine = ctx.engine(plan);
  // A lifecycle rule that contradicts retention or a legal hold refuses the run before anything is written.
  assertPlanAgrees(plan, nowOf(engine));
  await ctx.alerter.ping(plan, 'start');
  const { exitCode, results } = await runBackup(engine, components);
  await autoPrune(engine, results);
  for (const r of results) {
    if (r.outcome === 'failed') await ctx.alerter.failure(plan, 'backup', r.component, 'sev2', r.error ?? 'failed', r.exitCode);
  }
  await ctx.alerter.ping(plan, exitCode === 0 ? 'success' : 'fail', exitCode);
  return exitCode;
}
