import { pin, unpin } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { quietEngine } from './quiet-engine.js';

export async function pinCommand(ctx: CommandContext, component: string, backupId: string, opts: { reason: string }): Promise<number> {
  const plan = await ctx.loadPlan();
  const { destinations } = await pin(quietEngine(ctx, plan), component, backupId, opts.reason);
  ctx.io.stdout.write(`pinned ${backupId} of ${component} in ${destinations.join(', ')}: ${opts.reason.trim()}\n`);
  return 0;
}

export async function unpinCommand(ctx: CommandContext, component: string, backupId: string): Promise<number> {
  const plan = await ctx.loadPlan();
  const { destinations } = await unpin(quietEngine(ctx, plan), component, backupId);
  ctx.io.stdout.write(
    destinations.length > 0 ? `unpinned ${backupId} of ${component} in ${destinations.join(', ')}\n` : `${backupId} of ${component} was not pinned\n`,
  );
  return 0;
}
