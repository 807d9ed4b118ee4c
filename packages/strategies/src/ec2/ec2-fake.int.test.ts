import { DeregisterImageCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ExitCode, LifeboatError, readCatalog, runBackup, runPrune, runRestore, type Plan, type RestoreRequest } from '@lifeboat/core';
import { startEc2Fake, type Ec2Fake } from '@lifeboat/testkit';
import { readStatus, runVerify } from '@lifeboat/verify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPONENT, ContractWorkspace } from '../contract/workspace.js';
import { ec2Orphans, ec2Strategy, type Ec2Config } from './index.js';
import type { Strategy } from '@lifeboat/core';
import { systemImageOf } from './system-image.js';

// The ec2 kind against the EC2 fake (the real client-ec2 talking to a fake
// EC2 on loopback), through the engine as the apps drive it.
describe('type: ec2 on the EC2 fake', () => {
  let fake: Ec2Fake;
  let ws: ContractWorkspace;
  let env: Record<string, string>;

  // A fake per test: what one test leaves in EC2 (tagged with the same plan and component) never counts in another.
  beforeEach(async () => {
    fake = await startEc2Fake();
    env = { AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey };
    ws = await ContractWorkspace.create(ec2Strategy as Strategy<never>, 'launch');
  });
  afterEach(async () => {
    await ws.cleanup();
    await fake.stop();
  });

  const server = () =>
    fake.addInstance({
      instanceType: 'm5.large',
      subnetId: 'subnet-0prod',
      securityGroupIds: ['sg-0web'],
      keyName: 'ops',
      volumes: [
        { device: '/dev/xvda', sizeGiB: 30 },
        { device: '/dev/xvdf', sizeGiB: 500 },
      ],
    });
  const planFor = (config: Partial<Record<keyof Ec2Config, unknown>> & Record<string, unknown>) =>
    ws.plan({ config: { region: 'us-west-2', endpoint: fake.endpoint, imageTimeout: '10s', launchTimeout: '10s', ...config } });
  const backUp = async (plan: Plan) => {
    const { exitCode, results } = await runBackup(ws.engine(plan, env), [COMPONENT]);
    return { exitCode, result: results[0]! };
  };
  const mine = (instanceId: string) => fake.images().filter((i) => i.sourceInstanceId === instanceId);
  const request = (options: Record<string, unknown>): RestoreRequest => ({ clean: false, yes: false, options });
  const refusal = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (err: unknown) => err as LifeboatError,
    );

  it('backup: CreateImage with NoReboot; image and every snapshot tagged; the manifest records images per region, snapshots, sizes and launch settings', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId, copyTo: [{ region: 'us-east-1', kmsKeyId: 'alias/dr' }] });
    const { exitCode, result } = await backUp(plan);
    expect(result.error).toBeUndefined();
    expect(exitCode).toBe(ExitCode.ok);
    const create = fake.requests.find((r) => r.action === 'CreateImage' && r.params.InstanceId === instanceId);
    expect(create?.params.NoReboot).toBe('true');

    const [image] = mine(instanceId);
    const tags = { 'lifeboat:plan': 'contract', 'lifeboat:component': COMPONENT, 'lifeboat:backup-id': result.backupId };
    expect(Object.fromEntries(image!.tags)).toMatchObject(tags);
    const snapshots = fake.snapshots('us-west-2').filter((s) => image!.blockDevices.some((d) => d.snapshotId === s.snapshotId));
    expect(snapshots).toHaveLength(2);
    for (const s of snapshots) expect(Object.fromEntries(s.tags)).toMatchObject(tags);
    const copy = fake.images('us-east-1').find((i) => i.sourceImageId === image!.imageId)!;
    expect(copy.kmsKeyId).toBe('alias/dr');
    for (const s of fake.snapshots('us-east-1').filter((s) => copy.blockDevices.some((d) => d.snapshotId === s.snapshotId))) {
      expect(Object.fromEntries(s.tags)).toMatchObject(tags);
    }

    const [entry] = await readCatalog(plan, ws.registry, { component: COMPONENT });
    const record = systemImageOf(entry!.manifest.facts)!;
    expect(record).toMatchObject({
      instanceId,
      region: 'us-west-2',
      noReboot: true,
      instance: { instanceType: 'm5.large', subnetId: 'subnet-0prod', securityGroupIds: ['sg-0web'], keyName: 'ops' },
      volumes: [
        { device: '/dev/xvda', sizeGiB: 30 },
        { device: '/dev/xvdf', sizeGiB: 500 },
      ],
    });
    expect(record.images.map((i) => [i.region, i.imageId, i.snapshots.length])).toEqual([
      ['us-west-2', image!.imageId, 2],
      ['us-east-1', copy.imageId, 2],
    ]);
    expect(entry!.manifest.facts.imageIds).toEqual({ 'us-west-2': image!.imageId, 'us-east-1': copy.imageId });
    expect(entry!.manifest.artifacts.map((a) => a.name)).toEqual(['system-image.json']);
  });

  it('an image stuck pending past imageTimeout: exit 1, one sentence, no manifest, image deregistered and its snapshots deleted', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId, imageTimeout: '1s' });
    fake.faults.stuckPending = true;
    const { exitCode, result } = await backUp(plan);
    expect(exitCode).toBe(ExitCode.failed);
    expect(result.error).toMatch(/^backup of subject failed: image ami-[0-9a-f]{17} in us-west-2 was still pending after 1 s \(imageTimeout\)$/);
    expect(await readCatalog(plan, ws.registry, { component: COMPONENT })).toEqual([]);
    expect(await ws.backupFiles()).toEqual([]);
    expect(fake.requests.some((r) => r.action === 'CreateImage' && r.params.InstanceId === instanceId)).toBe(true);
    expect(mine(instanceId)).toEqual([]);
    expect(fake.snapshots().filter((s) => s.description.includes(instanceId))).toEqual([]);
  });

  it('cancelled while the image is pending (SIGTERM): the image is deregistered and its snapshots deleted, no manifest', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId, imageTimeout: '1h' });
    fake.faults.stuckPending = true;
    const stop = new AbortController();
    const engine = { ...ws.engine(plan, env, (event) => event.type === 'step' && event.message.startsWith('CreateImage: ') && stop.abort(new Error('SIGTERM'))), signal: stop.signal };
    const { exitCode } = await runBackup(engine, [COMPONENT]);
    expect(exitCode).not.toBe(ExitCode.ok);
    expect(fake.requests.some((r) => r.action === 'DeregisterImage')).toBe(true);
    expect(mine(instanceId)).toEqual([]);
    expect(fake.snapshots()).toEqual([]);
    expect(await readCatalog(plan, ws.registry, { component: COMPONENT })).toEqual([]);
  });

  it('instanceId and tags together, or neither: exit 2, nothing created', async () => {
    const instanceId = server();
    const both = await backUp(await planFor({ instanceId, tags: { Name: 'x' } }));
    expect(both.exitCode).toBe(ExitCode.usage);
    expect(both.result.error).toBe('backup of subject failed: components.subject: give instanceId or tags (one of them), to say which instance to image');
    expect((await backUp(await planFor({}))).exitCode).toBe(ExitCode.usage);
    expect(fake.requests.filter((r) => r.action === 'CreateImage')).toEqual([]);
  });

  it('an unknown instance: exit 2, a sentence naming the field, nothing created', async () => {
    const plan = await planFor({ instanceId: 'i-0123456789abcdef0' });
    const before = fake.images().length;
    const { exitCode, result } = await backUp(plan);
    expect(exitCode).toBe(ExitCode.usage);
    expect(result.error).toBe(`backup of subject failed: components.${COMPONENT}.instanceId: instance i-0123456789abcdef0 does not exist in us-west-2 (InvalidInstanceID.NotFound)`);
    expect(fake.images()).toHaveLength(before);
    expect(await ws.backupFiles()).toEqual([]);
  });

  it('tags that match no instance, or two: exit 2 with the instances named', async () => {
    fake.addInstance({ tags: { Role: 'web' } });
    fake.addInstance({ tags: { Role: 'web' } });
    const twice = await backUp(await planFor({ tags: { Role: 'web' } }));
    expect(twice.exitCode).toBe(ExitCode.usage);
    expect(twice.result.error).toMatch(/^backup of subject failed: components\.subject\.tags: Role=web match 2 instances \(i-\w+, i-\w+\) in us-west-2; expected exactly one$/);
    const none = await backUp(await planFor({ tags: { Role: 'db' } }));
    expect(none.result.error).toBe('backup of subject failed: components.subject.tags: Role=db match no instance in us-west-2; expected exactly one');
  });

  it('throttling: a short burst is retried by the SDK; a storm ends in one sentence, exit 1, nothing left behind', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId });
    fake.faults.throttle = 2;
    fake.faults.throttleActions = ['CreateImage'];
    expect((await backUp(plan)).exitCode).toBe(ExitCode.ok);
    const made = mine(instanceId).length;

    fake.faults.throttle = 1000;
    const { exitCode, result } = await backUp(plan);
    fake.faults.throttle = 0;
    expect(exitCode).toBe(ExitCode.failed);
    expect(result.error).toMatch(/^backup of subject failed: CreateImage of i-\w+ in us-west-2 was throttled by EC2 \(RequestLimitExceeded\) on every one of 5 attempts; try again later/);
    expect(mine(instanceId)).toHaveLength(made);
    expect(await readCatalog(plan, ws.registry, { component: COMPONENT })).toHaveLength(1);
  });

  it('prune: deregisters the image and deletes every snapshot in every region; skips one an instance or launch template uses; --dry-run explains and changes nothing', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId, copyTo: [{ region: 'eu-west-1' }], prune: 'manual', retention: { local: { keepLast: 1 } } });
    for (let i = 0; i < 4; i++) expect((await backUp(plan)).exitCode).toBe(ExitCode.ok);
    const images = mine(instanceId);
    expect(images).toHaveLength(4);
    const [oldest, second, third] = images;
    const copies = fake.images('eu-west-1').filter((i) => images.some((o) => o.imageId === i.sourceImageId));
    // Something still runs from the second backup's image, and a launch template names the third's.
    fake.addInstance({ imageId: second!.imageId });
    fake.addLaunchTemplate('us-west-2', 'civicq-web', third!.imageId);

    const dry = await runPrune(ws.engine(plan, env), [COMPONENT], { dryRun: true });
    const summary = dry.results[0]!.destinations[0]!.archive!.summary;
    expect(summary).toContain(`would deregister ${oldest!.imageId} in us-west-2 and delete its 2 snapshots`);
    expect(summary).toMatch(new RegExp(`skipping ${second!.imageId} in us-west-2 \\(backup [^)]+\\): still used by instance i-\\w+ \\(running\\)`));
    expect(summary).toContain(`skipping ${third!.imageId} in us-west-2`);
    expect(summary).toContain('still used by launch template civicq-web (version 1)');
    expect(mine(instanceId)).toHaveLength(4);

    const pruned = await runPrune(ws.engine(plan, env), [COMPONENT], { dryRun: false });
    expect(pruned.exitCode).toBe(ExitCode.ok);
    const left = new Set(fake.images().map((i) => i.imageId));
    expect(left.has(oldest!.imageId)).toBe(false);
    expect(left.has(second!.imageId)).toBe(true);
    expect(left.has(third!.imageId)).toBe(true);
    // Copies in eu-west-1 go with their backups (nothing uses them there).
    expect(copies.filter((c) => left.has(c.imageId)).map((c) => c.sourceImageId)).toEqual([images[3]!.imageId]);
    const gone = [oldest!, ...copies.filter((c) => c.sourceImageId !== images[3]!.imageId)].flatMap((i) => i.blockDevices.map((d) => d.snapshotId));
    expect(fake.snapshots().filter((s) => gone.includes(s.snapshotId))).toEqual([]);
    expect((await readCatalog(plan, ws.registry, { component: COMPONENT })).length).toBe(1);
  });

  it('ec2 orphans lists Lifeboat snapshots whose image is gone, with the command that deletes each', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId });
    await backUp(plan);
    const [image] = mine(instanceId);
    expect(await ec2Orphans(plan, env)).toEqual([]);
    const client = new EC2Client(fake.clientConfig('us-west-2'));
    await client.send(new DeregisterImageCommand({ ImageId: image!.imageId }));
    client.destroy();
    const orphans = await ec2Orphans(plan, env);
    expect(orphans.map((o) => o.snapshotId).sort()).toEqual(image!.blockDevices.map((d) => d.snapshotId).sort());
    expect(orphans[0]).toMatchObject({ component: COMPONENT, region: 'us-west-2', delete: expect.stringMatching(/^aws ec2 delete-snapshot --region us-west-2 --snapshot-id snap-/) });
  });

  it('status counts images and orphan snapshots per region and calls a gone newest image critical; verify reports a kept backup whose image is gone', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId });
    await backUp(plan);
    const [ok] = await readStatus(ws.engine(plan, env));
    expect(ok!.archive).toMatchObject({ name: 'EC2 images', fields: { 'us-west-2': { images: 1, orphanSnapshots: 0 } } });
    expect((await runVerify(ws.engine(plan, env), { components: [COMPONENT], deep: false })).exitCode).toBe(ExitCode.ok);

    const [image] = mine(instanceId);
    const client = new EC2Client(fake.clientConfig('us-west-2'));
    await client.send(new DeregisterImageCommand({ ImageId: image!.imageId }));
    client.destroy();
    const [gone] = await readStatus(ws.engine(plan, env));
    expect(gone!.archive?.fields).toEqual({ 'us-west-2': { images: 0, orphanSnapshots: 2 } });
    expect(gone!.reasons.join('\n')).toContain(`the newest backup's image ${image!.imageId} in us-west-2 is gone or not available: restore --launch cannot use it`);
    const verified = await runVerify(ws.engine(plan, env), { components: [COMPONENT], deep: false });
    expect(verified.exitCode).not.toBe(ExitCode.ok);
    expect(verified.copies.flatMap((c) => c.problems)).toContain(`backup ${image!.tags.get('lifeboat:backup-id')}: its image ${image!.imageId} in us-west-2 is gone or not available`);
  });

  it('restore: without --launch exit 2; --launch --dry-run asks RunInstances with DryRun and launches nothing; a refused DryRun is exit 1 and launches nothing', async () => {
    const instanceId = server();
    const plan = await planFor({ instanceId });
    await backUp(plan);
    const launched = () => fake.instances().filter((i) => mine(instanceId).some((image) => image.imageId === i.imageId));

    const noLaunch = await refusal(runRestore(ws.engine(plan, env), { component: COMPONENT }, request({})));
    expect(noLaunch?.exitCode).toBe(ExitCode.usage);
    expect(noLaunch?.message).toMatch(/add --launch/);

    const dry = await runRestore(ws.engine(plan, env), { component: COMPONENT }, request({ launch: true, dryRun: true, instanceType: 't3.small' }));
    expect(dry.report?.lines[0]).toMatch(/^dry run: would launch t3\.small from ami-\w+ in us-west-2, subnet subnet-0prod, sg-0web, key ops$/);
    expect(fake.requests.filter((r) => r.action === 'RunInstances').map((r) => r.params.DryRun)).toEqual(['true']);
    expect(launched()).toEqual([]);

    fake.faults.denied = ['RunInstances'];
    const denied = await refusal(runRestore(ws.engine(plan, env), { component: COMPONENT }, request({ launch: true })));
    expect(denied?.exitCode).toBe(ExitCode.failed);
    expect(denied?.message).toMatch(/^RunInstances \(DryRun\) of ami-\w+ in us-west-2 was refused by EC2 \(UnauthorizedOperation\)/);
    expect(launched()).toEqual([]);
  });

  it('restore --launch with --subnet and --instance-type: running with status checks ok, with the recorded key; the report names the instance', async () => {
    const instanceId = server();
    fake.addInstance({ subnetId: 'subnet-0dr' });
    const plan = await planFor({ instanceId });
    await backUp(plan);
    const outcome = await runRestore(ws.engine(plan, env), { component: COMPONENT }, request({ launch: true, subnet: 'subnet-0dr', instanceType: 'c5.xlarge' }));
    const newId = outcome.report!.data.instanceId as string;
    const instance = fake.instances().find((i) => i.instanceId === newId)!;
    expect(instance).toMatchObject({ state: 'running', instanceType: 'c5.xlarge', subnetId: 'subnet-0dr', keyName: 'ops' });
    expect(instance.volumes.map((v) => v.sizeGiB)).toEqual([30, 500]);
    expect(outcome.checks.map((c) => [c.name, c.ok])).toEqual([
      ['instance state', true],
      ['system status check', true],
      ['instance status check', true],
    ]);
    expect(outcome.report!.lines[0]).toBe(`launched ${newId}: c5.xlarge from ${instance.imageId} in us-west-2, subnet subnet-0dr, key ops`);
  });
});
