import { ExitCode, PlanError, checkPlan } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

/**
 * `lifeboat plan check [--json]`: the plan loads, and its lifecycle rules agree
 * with its retention and legal holds (the check `backup` and `prune` make
 * before they start). Contradictions exit 2, one sentence each; warnings (a
 * schedule that cannot meet its RPO) and notes are printed and exit 0.
 */
export async function planCheckCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  const check = checkPlan(plan, ctx.environment.now ?? new Date());
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify({ plan: plan.file, ok: check.problems.length === 0, ...check }, null, 2) + '\n');
    return check.problems.length === 0 ? ExitCode.ok : ExitCode.usage;
  }
  for (const warning of check.warnings) ctx.io.stdout.write(`warning: ${warning}\n`);
  for (const note of check.notes) ctx.io.stdout.write(`note: ${note}\n`);
  if (check.problems.length > 0) throw new PlanError(check.problems);
  const warned = check.warnings.length > 0 ? ` (${check.warnings.length} warning${check.warnings.length === 1 ? '' : 's'} above)` : '';
  ctx.io.stdout.write(`${plan.file}: the plan is valid, and its lifecycle rules agree with its retention and legal holds${warned}\n`);
  return ExitCode.ok;
}
