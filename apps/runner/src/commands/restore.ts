import { LifeboatError, runRestore } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

export interface RestoreFlags {
  to: string;
  backup?: string;
  clean?: boolean;
  jobs?: number;
  yes?: boolean;
}

export async function restoreCommand(ctx: CommandContext, component: string, flags: RestoreFlags): Promise<number> {
  const plan = await ctx.loadPlan();
  ctx.registry.component(plan, component);
  try {
    await runRestore(
    ctx.engine(plan),
    { component, backupId: flags.backup },
    { target: flags.to, clean: flags.clean === true, yes: flags.yes === true, jobs: flags.jobs },
    );
  } catch (err) {
    // The run's own 'failed' event has already told the reader why.
    if (err instanceof LifeboatError) return err.exitCode;
    throw err;
  }
  return 0;
}
