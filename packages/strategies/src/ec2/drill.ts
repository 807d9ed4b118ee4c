import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { UsageError, type DrillTarget, type StrategyContext } from '@lifeboat/core';
import { ec2Client } from './client.js';
import type { Ec2Config } from './config.js';
import { DRILL_ENV, DRILL_TAG } from './launch.js';

/**
 * A drill launches an instance from the image (as `restore --launch` does),
 * tagged with a token of this drill; cleanup terminates every instance with
 * that tag, so nothing launched for a drill outlives it.
 */
export async function prepareEc2Drill(ctx: StrategyContext<Ec2Config>, target: string): Promise<DrillTarget> {
  if (target !== 'launch') throw new UsageError(`components.${ctx.component}.drill: ec2 drills launch an instance from the image; write drill: { launch: true, subnet: … }`);
  const token = randomUUID();
  const drill = ctx.config.drill as (Ec2Config['drill'] & { subnet?: string; instanceType?: string }) | undefined;
  return {
    request: { clean: false, yes: false, options: { launch: true, ...(drill?.subnet && { subnet: drill.subnet }), ...(drill?.instanceType && { instanceType: drill.instanceType }) } },
    env: { [DRILL_ENV]: token },
    description: `a new instance in ${ctx.config.region}, terminated afterwards`,
    async cleanup() {
      const client = ec2Client(ctx.config, ctx.config.region, ctx.env);
      try {
        const { Reservations } = await client.send(
          new DescribeInstancesCommand({ Filters: [{ Name: `tag:${DRILL_TAG}`, Values: [token] }, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] }),
        );
        const ids = (Reservations ?? []).flatMap((r) => r.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
        if (ids.length > 0) {
          await client.send(new TerminateInstancesCommand({ InstanceIds: ids }));
          ctx.step(`drill: terminated ${ids.join(', ')}`);
        }
      } finally {
        client.destroy();
      }
    },
  };
}
