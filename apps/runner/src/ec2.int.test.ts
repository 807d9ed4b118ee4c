import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DeregisterImageCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startEc2Fake, type Ec2Fake } from '@lifeboat/testkit';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { eachWorkspace, lifeboat } from './test/harness.js';

// `type: ec2` through the CLI, against the EC2 fake (no EC2 emulator exists:
// the fake speaks the EC2 Query API to the real client-ec2 on loopback).
describe('ec2 component through the runner, on the EC2 fake', () => {
  const ws = eachWorkspace();
  let fake: Ec2Fake;
  let env: Record<string, string>;
  // A fake per test: what one test leaves in EC2 never counts in another.
  beforeEach(async () => {
    fake = await startEc2Fake();
    env = { AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey };
  });
  afterEach(() => fake.stop());

  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env });
  const planWith = (system: string) =>
    ws.writePlan(`version: 1
name: civicq
destinations:
  local: { type: fs, path: ${JSON.stringify(join(ws.dir, 'repo'))} }
components:
  system:
    type: ec2
    region: us-west-2
    endpoint: ${fake.endpoint}
    imageTimeout: 10s
    launchTimeout: 10s
    schedule: "0 4 * * 0"
    rpo: 7d
    rto: 8h
    destinations: [local]
${system}`);
  const server = () => fake.addInstance({ instanceType: 'm5.large', subnetId: 'subnet-0prod', securityGroupIds: ['sg-0web'], keyName: 'ops', volumes: [{ device: '/dev/xvda', sizeGiB: 40 }] });

  test('backup, list, restore --launch --dry-run, restore --launch, ec2 orphans: each says what it did', async () => {
    const instanceId = server();
    fake.addInstance({ subnetId: 'subnet-0dr' });
    await planWith(`    instanceId: ${instanceId}\n    copyTo: [{ region: us-east-1 }]\n`);
    const backup = await cli('backup', 'system');
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const [entry] = JSON.parse((await cli('list', 'system', '--json')).stdout) as Array<{ facts: { imageIds: Record<string, string> } }>;
    const imageId = entry!.facts.imageIds['us-west-2']!;
    expect(Object.keys(entry!.facts.imageIds)).toEqual(['us-west-2', 'us-east-1']);

    const refused = await cli('restore', 'system');
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toMatch(/an ec2 backup is restored by launching a new instance from its image; add --launch/);

    const dry = await cli('restore', 'system', '--launch', '--dry-run', '--json');
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ report: { dryRun: true, launch: { ImageId: imageId, InstanceType: 'm5.large', SubnetId: 'subnet-0prod', KeyName: 'ops' } } });
    expect(fake.instances().filter((i) => i.imageId === imageId)).toEqual([]);

    const launched = await cli('restore', 'system', '--launch', '--subnet', 'subnet-0dr', '--instance-type', 'c5.large', '--json');
    expect(launched.exitCode).toBe(0);
    const { report } = JSON.parse(launched.stdout) as { report: { instanceId: string } };
    expect(fake.instances().find((i) => i.instanceId === report.instanceId)).toMatchObject({ state: 'running', instanceType: 'c5.large', subnetId: 'subnet-0dr', imageId });

    expect(JSON.parse((await cli('ec2', 'orphans', '--json')).stdout)).toEqual([]);
    const client = new EC2Client(fake.clientConfig('us-east-1'));
    await client.send(new DeregisterImageCommand({ ImageId: entry!.facts.imageIds['us-east-1'] }));
    client.destroy();
    const orphans = await cli('ec2', 'orphans');
    expect(orphans.exitCode).toBe(0);
    expect(orphans.stdout).toMatch(/^1 snapshot \(40 GiB\) tagged by Lifeboat belong to no image; they restore nothing:\n {2}snap-\w+ {2}us-east-1 {2}system {2}40 GiB {2}backup \S+\n {6}aws ec2 delete-snapshot --region us-east-1 --snapshot-id snap-\w+\n$/);
  });

  test('the plan\'s health check after restore --launch: a URL answered 2xx passes (addresses filled in); a command that keeps failing fails the restore (exit 1) and leaves the instance running; a drill runs its own', async () => {
    const seen: string[] = [];
    const http = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.statusCode = seen.length < 2 ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const instanceId = server();
      await planWith(`    instanceId: ${instanceId}\n    healthCheck: "http://127.0.0.1:${port}/health?ip={privateIp}&id={instanceId}&token=s3cret"\n    healthTimeout: 30s\n`);
      expect((await cli('backup', 'system')).exitCode).toBe(0);
      const passed = await cli('--log-format', 'human', 'restore', 'system', '--launch');
      expect(passed.exitCode, passed.stdout + passed.stderr).toBe(0);
      // Booting: the first answer is 503, the second 200.
      expect(seen).toHaveLength(2);
      expect(seen[1]).toMatch(/^\/health\?ip=10\.0\.0\.1&id=i-\w+&token=s3cret$/);
      expect(passed.stdout).toContain(`health check of i-`);
      expect(passed.stdout).not.toContain('s3cret');

      await planWith(`    instanceId: ${instanceId}\n    healthCheck: 'test "$LIFEBOAT_PRIVATE_IP" = 10.9.9.9'\n    healthTimeout: 1s\n`);
      const before = fake.instances().length;
      const failed = await cli('restore', 'system', '--launch');
      expect(failed.exitCode, failed.stdout + failed.stderr).toBe(1);
      expect(failed.stdout + failed.stderr).toMatch(/health check/);
      expect(failed.stdout + failed.stderr).toMatch(/was left running \(aws ec2 terminate-instances --region us-west-2 --instance-ids i-\w+\)/);
      expect(fake.instances().slice(before).map((i) => i.state)).toEqual(['running']);

      // A drill launches as a restore does: the same check, with the instance's address, then the instance is terminated.
      await planWith(`    instanceId: ${instanceId}\n    healthCheck: 'test "$LIFEBOAT_PRIVATE_IP" = 10.0.0.1 && test -n "$LIFEBOAT_INSTANCE_ID"'\n    drill: { launch: true }\n`);
      const drill = await cli('--log-format', 'human', 'drill', 'system');
      expect(drill.exitCode, drill.stdout + drill.stderr).toBe(0);
      expect(drill.stdout).toMatch(/health check of i-\w+/);
      expect(fake.instances().at(-1)!.state).not.toBe('running');
    } finally {
      http.close();
    }
  });

  test('Ctrl-C while RunInstances is in flight (the fake holds its answer): the instance EC2 launched is found by its ClientToken and terminated; exit 1 with a sentence', async () => {
    const instanceId = server();
    await planWith(`    instanceId: ${instanceId}\n`);
    expect((await cli('backup', 'system')).exitCode).toBe(0);
    const [image] = fake.images().filter((i) => i.sourceInstanceId === instanceId);
    const held = fake.hold('RunInstances');
    const cancel = new AbortController();
    const run = lifeboat(['--plan', ws.plan, '--log-format', 'human', 'restore', 'system', '--launch'], { lockDir: ws.lockDir, env, signal: cancel.signal });
    const request = await held.reached;
    cancel.abort();
    const cancelled = await run;
    const launched = fake.instances().filter((i) => i.imageId === image!.imageId);
    expect(launched.map((i) => i.state)).toEqual(['terminated']);
    const token = request.params.ClientToken!;
    expect(launched[0]!.clientToken).toBe(token);
    // The backup id and a nonce of this launch.
    expect(token).toMatch(/^\d{8}T\d{6}Z-\S+-[0-9a-f]{8}$/);
    expect(token.startsWith(JSON.parse((await cli('list', 'system', '--json')).stdout)[0].id)).toBe(true);
    expect(cancelled.exitCode).toBe(1);
    const out = cancelled.stdout + cancelled.stderr;
    expect(out).toContain(`${launched[0]!.instanceId} was terminated (launched with ClientToken ${token}); the restore was cancelled while RunInstances was in flight`);
    // The token was printed before the call: a person can find the instance even if Lifeboat is killed outright.
    expect(out).toContain(`aws ec2 describe-instances --region us-west-2 --filters Name=client-token,Values=${token}`);
  });

  test('Ctrl-C while RunInstances is in flight and the lookup is refused: the sentence gives the aws line that finds the instance', async () => {
    const instanceId = server();
    await planWith(`    instanceId: ${instanceId}\n`);
    expect((await cli('backup', 'system')).exitCode).toBe(0);
    fake.faults.denied = ['DescribeInstances'];
    const held = fake.hold('RunInstances');
    const cancel = new AbortController();
    const run = lifeboat(['--plan', ws.plan, 'restore', 'system', '--launch'], { lockDir: ws.lockDir, env, signal: cancel.signal });
    const token = (await held.reached).params.ClientToken!;
    cancel.abort();
    const cancelled = await run;
    expect(cancelled.exitCode).toBe(1);
    expect(cancelled.stdout + cancelled.stderr).toMatch(
      new RegExp(`an instance may be running: looking for it failed \\(finding and terminating it in us-west-2 was refused by EC2 \\(UnauthorizedOperation\\)[^\\n]*\\); find it with aws ec2 describe-instances --region us-west-2 --filters Name=client-token,Values=${token} and terminate what it lists; the restore was cancelled while RunInstances was in flight`),
    );
  });

  test('prune --dry-run says which image would go with its snapshots, and which stays because an instance runs from it', async () => {
    const instanceId = server();
    await planWith(`    instanceId: ${instanceId}\n    prune: manual\n    retention: { local: { keepLast: 1 } }\n`);
    for (let i = 0; i < 3; i++) expect((await cli('backup', 'system')).exitCode).toBe(0);
    const [oldest, second] = fake.images().filter((i) => i.sourceInstanceId === instanceId);
    const user = fake.addInstance({ imageId: second!.imageId });
    const dry = await cli('prune', '--dry-run', '--log-format', 'human');
    expect(dry.exitCode).toBe(0);
    const out = dry.stdout + dry.stderr;
    expect(out).toContain(`would deregister ${oldest!.imageId} in us-west-2 and delete its 1 snapshot`);
    expect(out).toContain(`skipping ${second!.imageId} in us-west-2`);
    expect(out).toContain(`still used by instance ${user} (running)`);
    expect(fake.images().filter((i) => i.sourceInstanceId === instanceId)).toHaveLength(3);
  });

  test('bad plan input: one sentence naming the field and what was expected, exit 2', async () => {
    await planWith('    instanceId: web-1\n    noReboot: maybe\n');
    const bad = await cli('backup', 'system');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('components.system.instanceId');
    expect(bad.stderr).toContain('an instance id such as i-0123456789abcdef0');
    expect(bad.stderr).toContain('components.system.noReboot');
  });

  test('s3 policy adds what the ec2 component needs, by action: CreateImage on its instance, removal only of images and snapshots with its tags', async () => {
    const instanceId = server();
    await planWith(`    instanceId: ${instanceId}\n    copyTo: [{ region: eu-west-1 }]\n`);
    const { exitCode, stdout } = await cli('s3', 'policy');
    expect(exitCode).toBe(0);
    const statements = (JSON.parse(stdout) as { Statement: Array<{ Sid: string; Action: string[]; Resource: string[]; Condition?: unknown }> }).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.LifeboatEc2CreateImagesystem?.Resource).toContain(`arn:aws:ec2:us-west-2:*:instance/${instanceId}`);
    expect(bySid.LifeboatEc2RemoveItsOwnImagessystem).toMatchObject({
      Action: ['ec2:DeleteSnapshot', 'ec2:DeregisterImage'],
      Condition: { StringEquals: { 'aws:ResourceTag/lifeboat:plan': 'civicq', 'aws:ResourceTag/lifeboat:component': 'system' } },
    });
    expect(bySid.LifeboatEc2CopyImagesystem?.Resource).toContain('arn:aws:ec2:eu-west-1::image/*');
    expect(statements.flatMap((s) => s.Action)).not.toContain('ec2:*');
  });
});
