import { formatDuration } from '@lifeboat/core';
import { drill } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { selectComponents } from './select.js';

export async function drillCommand(ctx: CommandContext, names: string[], opts: { backup?: string; json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  const components = selectComponents(plan, names, (name) => plan.components[name]!.drill !== undefined);
  if (components.length === 0) {
    ctx.io.stderr.write(`lifeboat: no component of ${plan.file} has a drill target; add drill: { target: ephemeral } to one\n`);
    return 2;
  }
  const engine = ctx.engine(plan);
  const { exitCode, results } = await drill(opts.json ? { ...engine, onEvent: () => {} } : engine, components, { backupId: opts.backup });
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    ctx.io.stdout.write('\nRTO actual vs target:\n');
    for (const r of results) {
      const actual = r.rtoActualMs === undefined ? 'failed' : formatDuration(r.rtoActualMs);
      ctx.io.stdout.write(`  ${r.component.padEnd(12)} ${actual.padEnd(10)} target ${formatDuration(r.rtoTargetMs)}${r.ok ? '' : `  — ${r.error}`}\n`);
    }
  }
  return exitCode;
}
