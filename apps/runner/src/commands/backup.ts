import { backup } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { selectComponents } from './select.js';

export async function backupCommand(ctx: CommandContext, names: string[]): Promise<number> {
  const plan = await ctx.loadPlan();
  const { exitCode } = await backup(ctx.engine(plan), selectComponents(plan, names));
  return exitCode;
}
