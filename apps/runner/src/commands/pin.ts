import { pinBackup, unpinBackup, type EngineContext, type Plan } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

/** Pin and unpin print one line of their own; only warnings of the engine's events are worth showing. */
function quietEngine(ctx: CommandContext, plan: Plan): EngineContext {
  return {
    ...ctx.engine(plan),
    onEvent: (event) => {
      if (event.type === 'warning') ctx.io.stderr.write(`lifeboat: warning: ${event.message}\n`);
    },
  };
}

export async function pinCommand(ctx: CommandContext, component: string, backupId: string, opts: { reason: string }): Promise<number> {
  const plan = await ctx.loadPlan();
  const { destinations } = await pinBackup(quietEngine(ctx, plan), component, backupId, opts.reason);
  ctx.io.stdout.write(`pinned ${backupId} of ${component} in ${destinations.join(', ')}: ${opts.reason.trim()}\n`);
  return 0;
}

export async function unpinCommand(ctx: CommandContext, component: string, backupId: string): Promise<number> {
  const plan = await ctx.loadPlan();
  const { destinations } = await unpinBackup(quietEngine(ctx, plan), component, backupId);
  ctx.io.stdout.write(
    destinations.length > 0 ? `unpinned ${backupId} of ${component} in ${destinations.join(', ')}\n` : `${backupId} of ${component} was not pinned\n`,
  );
  return 0;
}
