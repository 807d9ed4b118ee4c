import { UsageError, runBackup } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

export async function backupCommand(ctx: CommandContext, components: string[]): Promise<number> {
  const plan = await ctx.loadPlan();
  const names = components.length > 0 ? components : Object.keys(plan.components);
  for (const name of names) {
    if (!plan.components[name]) {
      throw new UsageError(`${plan.file} has no component '${name}'; it has: ${Object.keys(plan.components).join(', ')}`);
    }
  }
  const { exitCode } = await runBackup(
    ctx.engine(plan),
    names,
  );
  return exitCode;
}
