import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { loadPlan, type SourceFacts } from '@lifeboat/core';
import { ec2Strategy } from '@lifeboat/strategies';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRegistry } from './registry.js';
import { lifeboat, workspace, type Workspace } from './test/harness.js';

/**
 * The ec2 scenarios against REAL AWS, opt-in and never in CI (docs/ec2.md,
 * "The real-AWS suite"): LIFEBOAT_TEST_AWS=1, credentials from the AWS
 * default chain, LIFEBOAT_TEST_EC2_INSTANCE (a small instance the suite
 * images; it is never stopped or changed) and LIFEBOAT_TEST_AWS_REGION or
 * AWS_REGION. Everything it makes carries the tag lifeboat:plan of a plan
 * name of its own, and afterAll removes all of it — instances, images,
 * snapshots — even when a test failed. Everywhere else the same scenarios
 * run on the EC2 fake (ec2.int.test.ts).
 */
const enabled = process.env.LIFEBOAT_TEST_AWS === '1';
const region = process.env.LIFEBOAT_TEST_AWS_REGION ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '';
const instanceId = process.env.LIFEBOAT_TEST_EC2_INSTANCE ?? '';
/** Optional: the launch's instance type and subnet (default: the recorded ones), its health check, and the largest instance (GiB of volumes) the suite will image. */
const launchType = process.env.LIFEBOAT_TEST_EC2_INSTANCE_TYPE;
const launchSubnet = process.env.LIFEBOAT_TEST_EC2_SUBNET;
const healthCheck = process.env.LIFEBOAT_TEST_EC2_HEALTH_CHECK ?? 'test -n "$LIFEBOAT_PRIVATE_IP" && test -n "$LIFEBOAT_INSTANCE_ID"';
const maxGiB = Number(process.env.LIFEBOAT_TEST_EC2_MAX_GIB ?? '30');

/** A plan name of this run: its tag finds everything the run made, and nothing else. */
const planName = `lifeboat-aws-test-${randomBytes(4).toString('hex')}`;

describe.skipIf(!enabled)('ec2 on real AWS (opt-in: LIFEBOAT_TEST_AWS=1)', () => {
  let ec2: EC2Client;
  let ws: Workspace;
  let backupId = '';
  let imageId = '';
  let snapshotIds: string[] = [];
  const launched = new Set<string>();
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env: { XDG_STATE_HOME: join(ws.dir, 'state') } });
  /** Polls `ready` until it holds, failing after `ms`: EC2's state, not a fixed sleep, decides. */
  const until = async (what: string, ready: () => boolean | Promise<boolean>, ms: number, every = 5_000) => {
    const deadline = Date.now() + ms;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, every));
    }
  };
  const plan = (retention: string) =>
    ws.writePlan(`version: 1
name: ${planName}
destinations:
  local: { type: fs, path: ${JSON.stringify(join(ws.dir, 'repo'))} }
components:
  system:
    type: ec2
    instanceId: ${instanceId}
    region: ${region}
    noReboot: true
    imageTimeout: 45m
    launchTimeout: 15m
    healthCheck: ${JSON.stringify(healthCheck)}
    healthTimeout: 5m
    schedule: "0 4 * * 0"
    rpo: 7d
    rto: 8h
    prune: manual
    destinations: [local]
    retention: { local: ${retention} }
`);
  const instance = async (id: string): Promise<Instance | undefined> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
  const tagsOf = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

  beforeAll(async () => {
    if (region === '' || !/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
      throw new Error('LIFEBOAT_TEST_AWS=1 needs LIFEBOAT_TEST_EC2_INSTANCE (a small instance id, i-…), LIFEBOAT_TEST_AWS_REGION or AWS_REGION, and AWS credentials (the default chain)');
    }
    ec2 = new EC2Client({ region });
    const source = await instance(instanceId);
    if (source?.State?.Name !== 'running') throw new Error(`LIFEBOAT_TEST_EC2_INSTANCE=${instanceId} in ${region} is ${source?.State?.Name ?? 'not found'}; the suite images a running instance`);
    const volumeIds = (source.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }));
    const gib = (Volumes ?? []).reduce((n, v) => n + (v.Size ?? 0), 0);
    // Snapshots of big volumes take long and cost more: the suite is for a small instance.
    if (gib > maxGiB) throw new Error(`LIFEBOAT_TEST_EC2_INSTANCE=${instanceId} has ${gib} GiB of volumes, more than LIFEBOAT_TEST_EC2_MAX_GIB=${maxGiB}; give a small instance (or raise the limit knowingly)`);
    ws = await workspace();
    await plan('{ keepLast: 5 }');
  }, 120_000);

  afterAll(async () => {
    if (!ec2) return;
    // Everything this run made, found by its tags and ids, whatever the tests got to: instances, then images, then snapshots.
    const left: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (err) {
        left.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const images = await ec2
      .send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:lifeboat:plan', Values: [planName] }] }))
      .then((a) => a.Images ?? [], () => []);
    const imageIds = [...new Set([...images.map((i) => i.ImageId!), ...(imageId ? [imageId] : [])])];
    if (imageIds.length > 0) {
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'image-id', Values: imageIds }] })).catch(() => ({ Reservations: [] }));
      for (const i of (Reservations ?? []).flatMap((r) => r.Instances ?? [])) launched.add(i.InstanceId!);
    }
    launched.delete(instanceId); // never the instance under test
    for (const id of launched) await attempt(`terminate ${id} (aws ec2 terminate-instances --region ${region} --instance-ids ${id})`, () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    for (const id of imageIds) await attempt(`deregister ${id} (aws ec2 deregister-image --region ${region} --image-id ${id})`, () => ec2.send(new DeregisterImageCommand({ ImageId: id })).catch((err: { name?: string }) => {
      if (err.name !== 'InvalidAMIID.NotFound' && err.name !== 'InvalidAMIID.Unavailable') throw err;
    }));
    const snapshots = await ec2
      .send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:lifeboat:plan', Values: [planName] }] }))
      .then((a) => (a.Snapshots ?? []).map((s) => s.SnapshotId!), () => [] as string[]);
    for (const id of new Set([...snapshots, ...snapshotIds])) {
      // A snapshot is InUse until EC2 has let go of its just-deregistered image: retried for a while.
      await attempt(`delete ${id} (aws ec2 delete-snapshot --region ${region} --snapshot-id ${id})`, () =>
        until(`deleting ${id}`, () =>
          ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })).then(
            () => true,
            (err: { name?: string }) => {
              if (err.name === 'InvalidSnapshot.NotFound') return true;
              if (err.name === 'InvalidSnapshot.InUse') return false;
              throw err;
            },
          ), 120_000),
      );
    }
    ec2.destroy();
    await ws?.cleanup();
    if (left.length > 0) throw new Error(`the clean-up left things in ${region} that cost money; remove them by hand:\n${left.join('\n')}`);
  }, 600_000);

  test('backup: CreateImage without a reboot; the image and every snapshot carry the plan, component and backup id; the manifest records them', async () => {
    const backup = await cli('backup', 'system');
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);
    const [entry] = JSON.parse((await cli('list', 'system', '--json')).stdout) as Array<{ id: string; facts: { imageIds: Record<string, string>; snapshotIds: string[]; volumeGiB: number; system: { noReboot: boolean; instanceId: string; instance: { instanceType: string; subnetId: string } } } }>;
    backupId = entry!.id;
    imageId = entry!.facts.imageIds[region]!;
    snapshotIds = entry!.facts.snapshotIds;
    expect(imageId).toMatch(/^ami-/);
    expect(snapshotIds.length).toBeGreaterThan(0);
    expect(entry!.facts.system).toMatchObject({ noReboot: true, instanceId, instance: { instanceType: expect.any(String), subnetId: expect.stringMatching(/^subnet-/) } });

    const owned = { 'lifeboat:plan': planName, 'lifeboat:component': 'system', 'lifeboat:backup-id': backupId };
    const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    expect(Images?.[0]?.State).toBe('available');
    expect(tagsOf(Images?.[0]?.Tags)).toMatchObject(owned);
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));
    expect(Snapshots?.map((s) => tagsOf(s.Tags))).toEqual(snapshotIds.map(() => expect.objectContaining(owned)));
    expect((await instance(instanceId))?.State?.Name).toBe('running');
  }, 50 * 60_000);

  test('the same backup run again (as a retried request would) makes no second image: the name is taken, and the run takes that image', async () => {
    expect(imageId, 'the backup test made an image').not.toBe('');
    const loaded = await loadPlan(ws.plan, createRegistry());
    const steps: string[] = [];
    type Context = Parameters<typeof ec2Strategy.backup>[0];
    const context = {
      component: 'system',
      config: loaded.components.system as unknown as Context['config'],
      planDir: loaded.dir,
      planName: loaded.name,
      backupId,
      env: {},
      signal: AbortSignal.timeout(20 * 60_000),
      step: (m: string) => steps.push(m),
      warn: (m: string) => steps.push(`! ${m}`),
      encrypted: false,
      storeArtifact: async (_name: string, body: Readable) => {
        for await (const chunk of body) void chunk;
        return {} as never;
      },
    } as unknown as Context;
    // The strategy itself, as the engine calls it, with the first backup's id: what a retried run would do.
    const facts = (await ec2Strategy.backup(context)) as SourceFacts;
    expect((facts.imageIds as Record<string, string>)[region], steps.join('\n')).toBe(imageId);
    const byName = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:lifeboat:backup-id', Values: [backupId] }] }));
    expect(byName.Images?.map((i) => i.ImageId)).toEqual([imageId]);
  }, 25 * 60_000);

  test('restore --launch --dry-run proves the permissions with DryRun and launches nothing', async () => {
    const dry = await cli('restore', 'system', '--launch', '--dry-run', '--json', ...(launchType ? ['--instance-type', launchType] : []), ...(launchSubnet ? ['--subnet', launchSubnet] : []));
    expect(dry.exitCode, dry.stdout + dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ report: { dryRun: true, launch: { ImageId: imageId } } });
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'image-id', Values: [imageId] }] }));
    expect((Reservations ?? []).flatMap((r) => r.Instances ?? [])).toEqual([]);
  }, 120_000);

  test('restore --launch: running, both status checks ok, the health check passes; then it is terminated', async () => {
    const run = await cli('restore', 'system', '--launch', '--json', ...(launchType ? ['--instance-type', launchType] : []), ...(launchSubnet ? ['--subnet', launchSubnet] : []));
    const output = JSON.parse(run.stdout) as { checks?: Array<{ name: string; ok: boolean }>; report?: { instanceId?: string; clientToken?: string } };
    if (output.report?.instanceId) launched.add(output.report.instanceId);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const id = output.report!.instanceId!;
    expect(output.checks?.map((c) => [c.name, c.ok])).toEqual([
      ['instance state', true],
      ['system status check', true],
      ['instance status check', true],
      ['health check', true],
    ]);
    const now = await instance(id);
    expect(now).toMatchObject({ ImageId: imageId, State: { Name: 'running' }, ClientToken: output.report!.clientToken });
    expect(output.report!.clientToken!.startsWith(backupId)).toBe(true);
    expect(tagsOf(now?.Tags)).toMatchObject({ 'lifeboat:restored-from': backupId, 'lifeboat:component': 'system' });

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await until(`${id} terminated`, async () => (await instance(id))?.State?.Name === 'terminated', 10 * 60_000);
  }, 40 * 60_000);

  test('a second backup, then prune with keepLast 1: --dry-run says the first image and its snapshots would go; prune deregisters it and deletes every snapshot; ec2 orphans then lists nothing', async () => {
    expect(imageId, 'the backup test made an image').not.toBe('');
    await plan('{ keepLast: 1 }');
    const second = await cli('backup', 'system');
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    const newest = (JSON.parse((await cli('list', 'system', '--json')).stdout) as Array<{ id: string; facts: { imageIds: Record<string, string> } }>).find((e) => e.id !== backupId)!;
    const kept = newest.facts.imageIds[region]!;

    const dry = await cli('prune', '--dry-run', '--log-format', 'human');
    expect(dry.exitCode, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout + dry.stderr).toContain(`would deregister ${imageId} in ${region} and delete its ${snapshotIds.length} snapshot`);
    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.State).toBe('available');

    const pruned = await cli('prune', '--yes', '--log-format', 'human');
    expect(pruned.exitCode, pruned.stdout + pruned.stderr).toBe(0);
    const firstGone = async () => {
      const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:lifeboat:backup-id', Values: [backupId] }] }));
      const snapshots = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:lifeboat:backup-id', Values: [backupId] }] }));
      return (images.Images ?? []).every((i) => i.State === 'deregistered') && (snapshots.Snapshots ?? []).length === 0;
    };
    await until('the first image deregistered and its snapshots deleted', firstGone, 5 * 60_000);
    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [kept] }))).Images?.[0]?.State).toBe('available');

    const orphans = await cli('ec2', 'orphans', '--json');
    expect(orphans.exitCode, orphans.stderr).toBe(0);
    expect(JSON.parse(orphans.stdout)).toEqual([]);
  }, 60 * 60_000);
});
