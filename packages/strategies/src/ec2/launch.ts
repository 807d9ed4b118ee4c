import { DescribeInstanceStatusCommand, DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { LifeboatError, UsageError, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import { ec2Client, ec2Code, ec2Failure } from './client.js';
import type { Ec2Config } from './config.js';
import { pause, pollDelayMs } from './image-wait.js';
import type { Ec2RestoreOptions } from './restore-surface.js';
import { SYSTEM_IMAGE_ARTIFACT, systemImageOf, systemImageSchema, type SystemImage } from './system-image.js';
import { TAG } from './tags.js';
import { launchHealthCheck } from './health.js';
import { findByTokenCommand, launchToken, mayHaveLaunched, terminateByToken } from './launch-token.js';

/** A tag on instances a drill launches, so that its cleanup finds them; the drill hands its token in this variable. */
export const DRILL_TAG = 'lifeboat:drill';
export const DRILL_ENV = 'LIFEBOAT_EC2_DRILL';

/** Refuses before anything happens: an ec2 backup is restored only by launching from it. */
export async function preflightEc2(ctx: RestoreContext<Ec2Config>): Promise<void> {
  const options = ctx.request.options as Ec2RestoreOptions;
  if (options.launch !== true) {
    throw new UsageError(`restore ${ctx.component}: an ec2 backup is restored by launching a new instance from its image; add --launch (and --dry-run to see what it would do first)`);
  }
  if (ctx.request.target !== undefined) throw new UsageError(`restore ${ctx.component}: --to is not used by ec2 components (--launch starts a new instance; --subnet and --instance-type say where and how)`);
  const record = systemImageOf(ctx.manifest.facts);
  const region = options.region ?? ctx.config.region;
  if (record && !record.images.some((i) => i.region === region)) {
    throw new UsageError(`restore ${ctx.component}: --region ${region}: backup ${ctx.manifest.id} has images in ${record.images.map((i) => i.region).join(', ')} only`);
  }
}

/**
 * Launches a new instance from the backup's image with the recorded
 * settings: RunInstances with DryRun first (proves the permissions, launches
 * nothing), then the launch, then a wait with a deadline for `running` and
 * both EC2 status checks. An instance that does not get there is terminated
 * (exit 1, with its id). `--dry-run` stops after the DryRun.
 */
export async function launchEc2(ctx: RestoreContext<Ec2Config>): Promise<RestoreOutcome> {
  const options = ctx.request.options as Ec2RestoreOptions;
  const drillTag = ctx.env[DRILL_ENV];
  const record = systemImageSchema.parse(JSON.parse(await readAll(await ctx.open(SYSTEM_IMAGE_ARTIFACT))));
  const region = options.region ?? ctx.config.region;
  const image = record.images.find((i) => i.region === region)!;
  const sameRegion = region === record.region;
  const subnet = options.subnet ?? (sameRegion ? record.instance.subnetId : undefined);
  const input: RunInstancesCommandInput = {
    ImageId: image.imageId,
    InstanceType: (options.instanceType ?? record.instance.instanceType) as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ...(subnet !== undefined && { SubnetId: subnet }),
    // Security groups belong to a VPC: the recorded ones only in the subnet they came with.
    ...(sameRegion && options.subnet === undefined && record.instance.securityGroupIds.length > 0 && { SecurityGroupIds: record.instance.securityGroupIds }),
    ...(sameRegion && record.instance.keyName !== undefined && { KeyName: record.instance.keyName }),
    TagSpecifications: [
      {
        ResourceType: 'instance',
        Tags: [
          { Key: 'Name', Value: `${ctx.component}-restored-${record.backupId}`.slice(0, 255) },
          { Key: 'lifeboat:restored-from', Value: record.backupId },
          { Key: TAG.component, Value: ctx.component },
          ...(drillTag !== undefined ? [{ Key: DRILL_TAG, Value: drillTag }] : []),
        ],
      },
    ],
  };
  const what = `${input.InstanceType} from ${image.imageId} in ${region}${subnet ? `, subnet ${subnet}` : ''}${input.SecurityGroupIds ? `, ${input.SecurityGroupIds.join(', ')}` : ''}${input.KeyName ? `, key ${input.KeyName}` : ''}`;
  const client = ec2Client(ctx.config, region, ctx.env);
  try {
    await dryRun(client, region, input);
    ctx.step(`RunInstances DryRun: allowed (${what})`);
    if (options.dryRun === true) {
      return {
        target: 'nothing (dry run)',
        checks: [{ name: 'RunInstances DryRun', expected: 'DryRunOperation', actual: 'DryRunOperation', ok: true }],
        report: { lines: [`dry run: would launch ${what}`, 'nothing was launched'], data: { dryRun: true, launch: input, backupId: record.backupId } },
      };
    }
    // One token per launch: the SDK's retries launch one instance, and a launch whose answer never came is found by it.
    const token = launchToken(record.backupId);
    ctx.step(`RunInstances with ClientToken ${token} (${findByTokenCommand(region, token)} finds the instance)`);
    let launched;
    try {
      launched = await client.send(new RunInstancesCommand({ ...input, ClientToken: token }), { abortSignal: ctx.signal });
    } catch (err) {
      if (!mayHaveLaunched(err, ctx.signal)) throw new LifeboatError(ec2Failure(`RunInstances of ${image.imageId}`, region, err), undefined, { cause: err });
      // EC2 may have launched it and the answer was lost: find it by its token and terminate it.
      const cleanup = await terminateByToken(client, region, token);
      const why = ctx.signal.aborted ? 'the restore was cancelled while RunInstances was in flight' : ec2Failure(`RunInstances of ${image.imageId}`, region, err);
      const sentence = `${cleanup}; ${why}`;
      ctx.warn(sentence);
      throw new LifeboatError(sentence, undefined, { cause: err });
    }
    const instanceId = launched.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new LifeboatError(`RunInstances in ${region} answered without an instance id`);
    ctx.step(`launched ${instanceId} (${what}); waiting for running and status checks`);
    let checks: RestoreCheck[];
    try {
      checks = await waitHealthy(client, region, instanceId, ctx.config.launchTimeout, ctx.signal, ctx.step);
    } catch (err) {
      await terminate(client, instanceId).catch(() => undefined);
      // Outcome first when cancelled (a narrow screen cuts the end).
      if (ctx.signal.aborted) throw new LifeboatError(`${instanceId} was terminated; the restore was cancelled while it was starting`, undefined, { cause: err });
      throw new LifeboatError(`${err instanceof Error ? err.message : String(err)}; ${instanceId} was terminated`, undefined, { cause: err });
    }
    const placed = launched.Instances?.[0];
    // A drill launches as a restore does, so it runs this check too (drill.healthCheck is the drill's own, run by the drill after).
    const healthCheck = ctx.config.healthCheck;
    if (healthCheck) {
      const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: ctx.signal });
      const now = described.Reservations?.[0]?.Instances?.[0];
      const instance = { instanceId, ...((now?.PrivateIpAddress ?? placed?.PrivateIpAddress) && { privateIp: now?.PrivateIpAddress ?? placed?.PrivateIpAddress }), ...(now?.PublicIpAddress && { publicIp: now.PublicIpAddress }) };
      ctx.step(`health check of ${instanceId} (the plan's healthCheck; up to ${Math.round(ctx.config.healthTimeout / 1000)} s)`);
      const health = await launchHealthCheck(healthCheck, instance, { timeoutMs: ctx.config.healthTimeout, signal: ctx.signal, env: ctx.env, step: ctx.step });
      // A failed check fails the restore; the instance is left running to be looked at (a drill's cleanup terminates its own).
      if (!health.ok) health.actual += `; ${instanceId} in ${region} was left running (aws ec2 terminate-instances --region ${region} --instance-ids ${instanceId})`;
      checks.push(health);
    }
    return {
      target: `${instanceId} in ${region}`,
      checks,
      report: {
        lines: [`launched ${instanceId}: ${what}`, ...(placed?.PrivateIpAddress ? [`private address ${placed.PrivateIpAddress}`] : []), 'running, status checks ok'],
        data: { instanceId, clientToken: token, region, imageId: image.imageId, instanceType: input.InstanceType, subnetId: subnet, privateIpAddress: placed?.PrivateIpAddress, backupId: record.backupId },
      },
    };
  } finally {
    client.destroy();
  }
}

async function dryRun(client: EC2Client, region: string, input: RunInstancesCommandInput): Promise<void> {
  try {
    await client.send(new RunInstancesCommand({ ...input, DryRun: true }));
  } catch (err) {
    if (ec2Code(err) === 'DryRunOperation') return;
    throw new LifeboatError(ec2Failure(`RunInstances (DryRun) of ${input.ImageId}`, region, err), undefined, { cause: err });
  }
  throw new LifeboatError(`RunInstances with DryRun in ${region} did not answer DryRunOperation; nothing more was asked`);
}

/** Running, then system and instance status `ok`, before the deadline. */
export async function waitHealthy(client: EC2Client, region: string, instanceId: string, timeoutMs: number, signal: AbortSignal, step: (m: string) => void): Promise<RestoreCheck[]> {
  const deadline = Date.now() + timeoutMs;
  const delay = pollDelayMs(timeoutMs);
  let last = 'pending';
  for (;;) {
    signal.throwIfAborted();
    try {
      const { InstanceStatuses } = await client.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }), { abortSignal: signal });
      const status = InstanceStatuses?.[0];
      const state = status?.InstanceState?.Name ?? 'pending';
      if (state === 'terminated' || state === 'shutting-down' || state === 'stopped') throw new LifeboatError(`${instanceId} in ${region} went ${state} instead of running`);
      const system = status?.SystemStatus?.Status ?? 'unknown';
      const own = status?.InstanceStatus?.Status ?? 'unknown';
      const now = `${state}, system ${system}, instance ${own}`;
      if (now !== last) step(`${instanceId}: ${now}`);
      last = now;
      if (state === 'running' && system === 'ok' && own === 'ok') {
        return [
          { name: 'instance state', expected: 'running', actual: state, ok: true },
          { name: 'system status check', expected: 'ok', actual: system, ok: true },
          { name: 'instance status check', expected: 'ok', actual: own, ok: true },
        ];
      }
      if (system === 'impaired' || own === 'impaired') throw new LifeboatError(`${instanceId} in ${region} failed its status checks (${now})`);
    } catch (err) {
      if (err instanceof LifeboatError) throw err;
      if (signal.aborted) throw signal.reason;
      // Right after RunInstances the id may not be known yet (eventual consistency).
      if (ec2Code(err) !== 'InvalidInstanceID.NotFound') throw new LifeboatError(ec2Failure(`DescribeInstanceStatus ${instanceId}`, region, err), undefined, { cause: err });
    }
    if (Date.now() + delay > deadline) throw new LifeboatError(`${instanceId} in ${region} was not running with status checks ok after ${Math.round(timeoutMs / 1000)} s (launchTimeout); last seen ${last}`);
    await pause(delay, signal);
  }
}

export async function terminate(client: EC2Client, instanceId: string): Promise<void> {
  await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export type { SystemImage };
