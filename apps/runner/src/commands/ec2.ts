import { UsageError } from '@lifeboat/core';
import { ec2Orphans } from '@lifeboat/strategies';
import type { CommandContext } from '../main.js';

/** `lifeboat ec2 orphans [--json]`: Lifeboat-tagged snapshots whose image is gone. Lists; deletes nothing. */
export async function ec2OrphansCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  if (!Object.values(plan.components).some((c) => c.type === 'ec2')) {
    throw new UsageError(`${plan.file}: the plan has no ec2 components, so Lifeboat made no images or snapshots to look for`);
  }
  const orphans = await ec2Orphans(plan, ctx.environment.env);
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify(orphans, null, 2) + '\n');
    return 0;
  }
  if (orphans.length === 0) {
    ctx.io.stdout.write('no orphan snapshots: every snapshot Lifeboat tagged belongs to an image\n');
    return 0;
  }
  const gib = orphans.reduce((n, o) => n + o.sizeGiB, 0);
  ctx.io.stdout.write(`${orphans.length} snapshot${orphans.length === 1 ? '' : 's'} (${gib} GiB) tagged by Lifeboat belong to no image; they restore nothing:\n`);
  for (const o of orphans) {
    ctx.io.stdout.write(`  ${o.snapshotId}  ${o.region}  ${o.component}  ${o.sizeGiB} GiB${o.backupId ? `  backup ${o.backupId}` : ''}\n      ${o.delete}\n`);
  }
  return 0;
}
