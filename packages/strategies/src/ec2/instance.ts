import { DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { LifeboatError, UsageError, type ComponentPlan } from '@lifeboat/core';
import { ec2Code, ec2Failure } from './client.js';
import type { Ec2Config } from './config.js';
import type { SystemImage } from './system-image.js';

/**
 * The instance the component names: by `instanceId`, or the one instance its
 * `tags` pick. A plan naming no instance, an unknown one, or tags that pick
 * none or several is a plan problem (exit 2): nothing was made.
 */
export async function findInstance(client: EC2Client, component: string, config: ComponentPlan & Ec2Config): Promise<Instance> {
  const at = `components.${component}`;
  if ((config.instanceId === undefined) === (config.tags === undefined)) {
    throw new UsageError(`${at}: give instanceId or tags (one of them), to say which instance to image`);
  }
  try {
    const { Reservations } = await client.send(
      config.instanceId !== undefined
        ? new DescribeInstancesCommand({ InstanceIds: [config.instanceId] })
        : new DescribeInstancesCommand({
            Filters: [
              ...Object.entries(config.tags!).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
              { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
            ],
          }),
    );
    const found = (Reservations ?? []).flatMap((r) => r.Instances ?? []);
    if (config.instanceId !== undefined) {
      const instance = found[0];
      if (!instance || instance.State?.Name === 'terminated') throw new UsageError(`${at}.instanceId: instance ${config.instanceId} does not exist in ${config.region}${instance ? ' (it is terminated)' : ''}`);
      return instance;
    }
    const tags = Object.entries(config.tags!).map(([k, v]) => `${k}=${v}`).join(', ');
    if (found.length !== 1) {
      throw new UsageError(
        `${at}.tags: ${tags} ${found.length === 0 ? 'match no instance' : `match ${found.length} instances (${found.map((i) => i.InstanceId).join(', ')})`} in ${config.region}; expected exactly one`,
      );
    }
    return found[0]!;
  } catch (err) {
    if (err instanceof LifeboatError) throw err;
    const code = ec2Code(err);
    if (code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed') {
      throw new UsageError(`${at}.instanceId: instance ${config.instanceId} does not exist in ${config.region} (${code})`);
    }
    throw new LifeboatError(ec2Failure('DescribeInstances', config.region, err), undefined, { cause: err });
  }
}

/** What the manifest records of the instance, so that a launch can rebuild it. */
export async function describeForRecord(client: EC2Client, region: string, instance: Instance): Promise<Pick<SystemImage, 'instance' | 'volumes'>> {
  let volumes: SystemImage['volumes'] = [];
  try {
    const { Volumes } = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId!] }] }));
    volumes = (Volumes ?? []).map((v) => ({
      device: v.Attachments?.find((a) => a.InstanceId === instance.InstanceId)?.Device ?? '',
      volumeId: v.VolumeId ?? '',
      sizeGiB: v.Size ?? 0,
    }));
  } catch (err) {
    throw new LifeboatError(ec2Failure('DescribeVolumes', region, err), undefined, { cause: err });
  }
  return {
    instance: {
      instanceType: instance.InstanceType ?? 'unknown',
      ...(instance.SubnetId !== undefined && { subnetId: instance.SubnetId }),
      securityGroupIds: (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
      ...(instance.KeyName !== undefined && { keyName: instance.KeyName }),
      ...(instance.Placement?.AvailabilityZone !== undefined && { availabilityZone: instance.Placement.AvailabilityZone }),
    },
    volumes,
  };
}
