import {
  CopyImageCommand,
  CreateImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEc2Fake, type Ec2Fake } from './ec2-fake.js';

// Each expectation is AWS's documented behaviour (EC2 API reference), which the
// fake must keep: Lifeboat's ec2 kind is only as right as this fake is faithful.
describe('EC2 fake, driven by the real @aws-sdk/client-ec2', () => {
  let fake: Ec2Fake;
  let ec2: EC2Client;
  const client = (region: string, maxAttempts = 3) => new EC2Client({ ...fake.clientConfig(region), maxAttempts });

  beforeAll(async () => {
    fake = await startEc2Fake();
    ec2 = client('us-west-2');
  });
  afterAll(async () => {
    ec2.destroy();
    await fake.stop();
  });

  async function createImage(instanceId: string, name: string, token?: string) {
    return ec2.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: name,
        NoReboot: true,
        ...(token !== undefined && { ClientToken: token }),
        TagSpecifications: [
          { ResourceType: 'image', Tags: [{ Key: 'lifeboat:component', Value: 'system' }] },
          { ResourceType: 'snapshot', Tags: [{ Key: 'lifeboat:component', Value: 'system' }] },
        ],
      }),
    );
  }

  it('CreateImage makes one snapshot per attached volume, tags image and snapshots, and records NoReboot', async () => {
    const instanceId = fake.addInstance({ volumes: [{ device: '/dev/xvda', sizeGiB: 8 }, { device: '/dev/xvdf', sizeGiB: 100 }] });
    const { ImageId } = await createImage(instanceId, 'tags-1');
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(fake.requests.at(-1)?.params.NoReboot).toBe('true');
    fake.settle();
    const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
    expect(Images?.[0]?.Tags).toEqual([{ Key: 'lifeboat:component', Value: 'system' }]);
    const ids = Images![0]!.BlockDeviceMappings!.map((m) => m.Ebs?.SnapshotId);
    expect(Images![0]!.BlockDeviceMappings!.map((m) => m.Ebs?.VolumeSize)).toEqual([8, 100]);
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ids as string[] }));
    expect(Snapshots?.map((s) => s.Tags)).toEqual([
      [{ Key: 'lifeboat:component', Value: 'system' }],
      [{ Key: 'lifeboat:component', Value: 'system' }],
    ]);
    expect(Snapshots?.[0]?.Description).toBe(`Created by CreateImage(${instanceId}) for ${ImageId}`);
  });

  it('CreateImage has no ClientToken: a second image of the same name is InvalidAMIName.Duplicate, and the name finds the first', async () => {
    const instanceId = fake.addInstance();
    const first = await createImage(instanceId, 'lifeboat-system-20260101T000000Z-abc');
    await expect(createImage(instanceId, 'lifeboat-system-20260101T000000Z-abc')).rejects.toMatchObject({
      name: 'InvalidAMIName.Duplicate',
      message: `AMI name lifeboat-system-20260101T000000Z-abc is already in use by AMI ${first.ImageId}`,
    });
    expect(fake.images().filter((i) => i.name === 'lifeboat-system-20260101T000000Z-abc')).toHaveLength(1);
    const byName = () => ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['lifeboat-system-20260101T000000Z-abc'] }] }));
    // Eventually consistent: the first listing right after creation may not show it yet.
    expect((await byName()).Images).toEqual([]);
    expect((await byName()).Images?.map((i) => i.ImageId)).toEqual([first.ImageId]);
  });

  it('CopyImage: a repeated ClientToken returns the same copy; the same token with other parameters is IdempotentParameterMismatch', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'copy-token-1');
    fake.settle();
    const east = client('us-east-1');
    const copy = (name: string) => east.send(new CopyImageCommand({ SourceImageId: ImageId, SourceRegion: 'us-west-2', Name: name, ClientToken: 'tok-1' }));
    const first = await copy('copy-token-1');
    expect((await copy('copy-token-1')).ImageId).toBe(first.ImageId);
    expect(fake.images('us-east-1').filter((i) => i.name === 'copy-token-1')).toHaveLength(1);
    await expect(copy('copy-token-2')).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
    east.destroy();
  });

  it('an image is InvalidAMIID.NotFound right after creation, then pending, then available (the SDK waiter rides it out)', async () => {
    const instanceId = fake.addInstance();
    const { ImageId } = await createImage(instanceId, 'consistency-1');
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound',
      $metadata: { httpStatusCode: 400 },
    });
    const pending = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
    expect(pending.Images?.[0]?.State).toBe('pending');
    const snapshotId = pending.Images![0]!.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
    expect((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0]?.State).toBe('pending');
    const result = await waitUntilImageAvailable({ client: ec2, maxWaitTime: 30, minDelay: 0.01, maxDelay: 0.02 }, { ImageIds: [ImageId!] });
    expect(result.state).toBe('SUCCESS');
    expect((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0]?.State).toBe('completed');
  });

  it('stuck pending: the image never becomes available until settled', async () => {
    fake.faults.stuckPending = true;
    try {
      const { ImageId } = await createImage(fake.addInstance(), 'stuck-1');
      await expect(
        waitUntilImageAvailable({ client: ec2, maxWaitTime: 1, minDelay: 0.01, maxDelay: 0.02 }, { ImageIds: [ImageId!] }),
      ).rejects.toThrow(/TimeoutError|timed out|exceeded/i);
      expect(fake.images().find((i) => i.imageId === ImageId)?.state).toBe('pending');
    } finally {
      fake.faults.stuckPending = false;
    }
  });

  it('DescribeImages filters by tag; DeregisterImage removes it; then DeleteSnapshot works (InUse before)', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'filter-1');
    fake.settle();
    const tagged = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:lifeboat:component', Values: ['system'] }] }));
    expect(tagged.Images?.map((i) => i.ImageId)).toContain(ImageId);
    const none = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'tag:lifeboat:component', Values: ['other'] }] }));
    expect(none.Images).toEqual([]);
    const snapshotId = fake.images().find((i) => i.imageId === ImageId)!.blockDevices[0]!.snapshotId;
    await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.InUse',
      message: `The snapshot ${snapshotId} is currently in use by ${ImageId}`,
    });
    expect((await ec2.send(new DeregisterImageCommand({ ImageId }))).$metadata.httpStatusCode).toBe(200);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    await expect(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    await expect(ec2.send(new DeregisterImageCommand({ ImageId }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
  });

  it('DescribeInstances and DescribeVolumes tell instance type, subnet, groups, key and volume sizes; an unknown id is InvalidInstanceID.NotFound', async () => {
    const instanceId = fake.addInstance({
      instanceType: 'm5.large',
      subnetId: 'subnet-0abc',
      securityGroupIds: ['sg-1', 'sg-2'],
      keyName: 'ops',
      volumes: [{ device: '/dev/xvda', sizeGiB: 30 }],
      tags: { Name: 'civicq-prod' },
    });
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = Reservations?.[0]?.Instances?.[0];
    expect(instance).toMatchObject({ InstanceType: 'm5.large', SubnetId: 'subnet-0abc', KeyName: 'ops', State: { Name: 'running', Code: 16 } });
    expect(instance?.SecurityGroups?.map((g) => g.GroupId)).toEqual(['sg-1', 'sg-2']);
    const byTag = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['civicq-*'] }] }));
    expect(byTag.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId))).toEqual([instanceId]);
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
    expect(Volumes?.map((v) => [v.Size, v.Attachments?.[0]?.Device])).toEqual([[30, '/dev/xvda']]);
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
    });
  });

  it('CopyImage is sent to the destination region and makes an image with its own snapshots there', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'copy-1');
    fake.settle();
    const east = client('us-east-1');
    const copy = await east.send(
      new CopyImageCommand({ SourceImageId: ImageId, SourceRegion: 'us-west-2', Name: 'copy-1', CopyImageTags: true, KmsKeyId: 'alias/dr', Encrypted: true }),
    );
    expect(fake.images('us-east-1').map((i) => i.imageId)).toContain(copy.ImageId);
    expect(fake.images('us-west-2').map((i) => i.imageId)).not.toContain(copy.ImageId);
    fake.settle();
    const { Images } = await east.send(new DescribeImagesCommand({ ImageIds: [copy.ImageId!] }));
    expect(fake.requests.at(-2)).toMatchObject({ action: 'CopyImage', region: 'us-east-1' });
    expect(Images?.[0]?.Tags).toEqual([{ Key: 'lifeboat:component', Value: 'system' }]);
    expect(Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.Encrypted).toBe(true);
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: [copy.ImageId!] }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    east.destroy();
  });

  it('RunInstances with DryRun answers DryRunOperation (412); denied actions answer UnauthorizedOperation', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'run-1');
    fake.settle();
    const launch = (dryRun: boolean) => new RunInstancesCommand({ ImageId, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, DryRun: dryRun });
    await expect(ec2.send(launch(true))).rejects.toMatchObject({ name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } });
    fake.faults.denied = ['RunInstances'];
    try {
      await expect(ec2.send(launch(true))).rejects.toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
    } finally {
      fake.faults.denied = [];
    }
    expect(fake.instances().filter((i) => i.imageId === ImageId)).toEqual([]);
  });

  it('RunInstances: pending → running → status checks ok (the SDK waiter); TerminateInstances reports the state change', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'run-2');
    fake.settle();
    const run = await ec2.send(new RunInstancesCommand({ ImageId, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0fake0001' }));
    const instanceId = run.Instances![0]!.InstanceId!;
    expect(run.Instances?.[0]?.State?.Name).toBe('pending');
    const waited = await waitUntilInstanceStatusOk({ client: ec2, maxWaitTime: 30, minDelay: 0.01, maxDelay: 0.02 }, { InstanceIds: [instanceId] });
    expect(waited.state).toBe('SUCCESS');
    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId] }));
    expect(status.InstanceStatuses?.[0]).toMatchObject({ InstanceState: { Name: 'running' }, SystemStatus: { Status: 'ok' }, InstanceStatus: { Status: 'ok' } });
    const terminated = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(terminated.TerminatingInstances?.[0]).toMatchObject({ CurrentState: { Name: 'terminated', Code: 48 }, PreviousState: { Name: 'running' } });
    await expect(
      ec2.send(new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1, SubnetId: 'subnet-nope' })),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });
  });

  it('RunInstances is idempotent by ClientToken: the same token answers the same instance (one launched); other parameters with it are IdempotentParameterMismatch; DescribeInstances filters by client-token', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'run-token-1');
    fake.settle();
    const launch = (instanceType: 't3.small' | 't3.large', token: string) =>
      ec2.send(new RunInstancesCommand({ ImageId, InstanceType: instanceType, MinCount: 1, MaxCount: 1, ClientToken: token }));
    const first = await launch('t3.small', 'backup-1-nonce-a');
    const again = await launch('t3.small', 'backup-1-nonce-a');
    const instanceId = first.Instances![0]!.InstanceId!;
    expect(again.Instances![0]!.InstanceId).toBe(instanceId);
    expect(first.Instances![0]!.ClientToken).toBe('backup-1-nonce-a');
    expect(fake.instances().filter((i) => i.imageId === ImageId)).toHaveLength(1);
    await expect(launch('t3.large', 'backup-1-nonce-a')).rejects.toMatchObject({ name: 'IdempotentParameterMismatch', $metadata: { httpStatusCode: 400 } });
    expect(fake.instances().filter((i) => i.imageId === ImageId)).toHaveLength(1);
    // Another token is another launch.
    const other = await launch('t3.small', 'backup-1-nonce-b');
    expect(other.Instances![0]!.InstanceId).not.toBe(instanceId);

    const byToken = async (token: string) =>
      (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: [token] }] }))).Reservations?.flatMap((r) => r.Instances?.map((i) => [i.InstanceId, i.ClientToken]) ?? []);
    expect(await byToken('backup-1-nonce-a')).toEqual([[instanceId, 'backup-1-nonce-a']]);
    expect(await byToken('never-used')).toEqual([]);
  });

  it('hold: a held RunInstances is carried out at once (found by its client-token) and answered only on release', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'run-hold-1');
    fake.settle();
    const held = fake.hold('RunInstances');
    let answered = false;
    const launch = ec2.send(new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1, ClientToken: 'held-1' })).then((answer) => {
      answered = true;
      return answer;
    });
    const request = await held.reached;
    expect(request.params.ClientToken).toBe('held-1');
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['held-1'] }] }));
    const instanceId = Reservations?.[0]?.Instances?.[0]?.InstanceId;
    expect(instanceId).toMatch(/^i-/);
    expect(answered).toBe(false);
    held.release();
    expect((await launch).Instances?.[0]?.InstanceId).toBe(instanceId);
  });

  it('DescribeLaunchTemplateVersions over all templates ($Latest) filters by image-id', async () => {
    const { ImageId } = await createImage(fake.addInstance(), 'lt-1');
    const templateId = fake.addLaunchTemplate('us-west-2', 'web', ImageId!);
    const { LaunchTemplateVersions } = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Latest'], Filters: [{ Name: 'image-id', Values: [ImageId!] }] }),
    );
    expect(LaunchTemplateVersions?.map((v) => [v.LaunchTemplateId, v.LaunchTemplateName, v.LaunchTemplateData?.ImageId])).toEqual([[templateId, 'web', ImageId]]);
  });

  it('throttling: RequestLimitExceeded (503) is retried by the SDK; a storm longer than its attempts surfaces the code', async () => {
    fake.faults.throttle = 2;
    const retried = await client('us-west-2', 3).send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(retried.$metadata.attempts).toBe(3);
    fake.faults.throttle = 5;
    await expect(client('us-west-2', 2).send(new DescribeImagesCommand({ Owners: ['self'] }))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
    fake.faults.throttle = 0;
  });

  it('a request signed with another key is AuthFailure', async () => {
    const stranger = new EC2Client({ region: 'us-west-2', endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } });
    await expect(stranger.send(new DescribeImagesCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });
    stranger.destroy();
  });
});
