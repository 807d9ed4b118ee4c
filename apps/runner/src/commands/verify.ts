import { verify } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { selectComponents } from './select.js';

export async function verifyCommand(ctx: CommandContext, names: string[], opts: { deep?: boolean; sample?: number; json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  const components = selectComponents(plan, names);
  const engine = ctx.engine(plan);
  const { exitCode, copies } = await verify(opts.json ? { ...engine, onEvent: () => {} } : engine, { components, deep: opts.deep === true, samplePct: opts.sample });
  if (opts.json) ctx.io.stdout.write(JSON.stringify(copies, null, 2) + '\n');
  else if (copies.length === 0) ctx.io.stdout.write('no backups to verify\n');
  return exitCode;
}
