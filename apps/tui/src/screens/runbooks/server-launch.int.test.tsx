import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEc2Fake, describe, expect, test, type Ec2Fake } from '@lifeboat/testkit';
import { ec2Repo, filesRepo, type ComponentRepo } from '../../test/component-repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';

/**
 * The "Complete server failure" runbook with an ec2 component: its kind adds
 * the launch from the system image as the first step, run against the EC2
 * FAKE (tooling/testkit) through the real client-ec2 — the dry run first,
 * then enter launches, then the wait for running and status checks.
 */
let fake: Ec2Fake;
let repo: ComponentRepo | undefined;
let app: RenderedApp | undefined;
beforeAll(async () => {
  fake = await startEc2Fake();
});
afterAll(() => fake.stop());
afterEach(async () => {
  app?.unmount();
  await repo?.cleanup();
  app = repo = undefined;
  fake.faults.pendingPolls = 1;
  fake.faults.denied = [];
});

/** Instances launched from the repo's images (not the source instance). */
const launchedFrom = (sourceInstanceId: string) => {
  const images = new Set(fake.images().filter((i) => i.sourceInstanceId === sourceInstanceId).map((i) => i.imageId));
  return fake.instances().filter((i) => images.has(i.imageId));
};
const runInstances = () => fake.requests.filter((r) => r.action === 'RunInstances');

/** Dashboard → runbooks → Complete server failure → step 1's wizard, at its review once the dry run answered. */
async function launchReview(r: ComponentRepo): Promise<RenderedApp> {
  const shown = (app = renderApp(r.services));
  await shown.see('mirror ✓ answers');
  shown.press('u');
  await shown.see(/Complete server failure\s+11 steps, 3 automated/);
  shown.press(KEY.down, KEY.enter);
  await shown.see(/› · {2}1 Launch the server from its image\s+restore system/);
  shown.press(KEY.enter);
  await shown.see(/1\/4 pick a backup\n› \d{8}T/);
  shown.press(KEY.enter);
  // The step asks for the launch: it is the target offered first.
  await shown.see(/› a new instance from the image, with the recorded settings/);
  shown.press(KEY.enter);
  await shown.see('launch a new instance from the backup’s image');
  return shown;
}

describe('the server-failure runbook launches from the system image (EC2 fake)', () => {
  test('absent from a plan without an ec2 component: the shipped ten steps, no launch', async () => {
    repo = await filesRepo();
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('u');
    await app.see(/Complete server failure\s+10 steps, 2 automated/);
    app.press(KEY.down, KEY.enter);
    const steps = await app.see('Complete server failure · for config');
    expect(steps).toContain('1 Provision a new server');
    expect(steps).not.toContain('Launch the server from its image');
  });

  test('offered first with an ec2 component: the dry run shows what would be launched before anything is, then enter launches and waits for running', async () => {
    const r = (repo = await ec2Repo(fake));
    const before = runInstances().length;
    const shown = await launchReview(r);
    const dry = (await shown.see('dry run answered:')).replace(/\s+/g, ' ');
    expect(dry).toMatch(/would launch m5\.large from ami-[0-9a-f]+ in us-west-2, subnet subnet-0tui, sg-0web, key ops/);
    expect(dry).toContain('nothing was launched');
    expect(dry).toContain('enter: launch');
    // Only the DryRun was asked; nothing runs yet.
    expect(runInstances().slice(before).map((q) => q.params['DryRun'])).toEqual(['true']);
    expect(launchedFrom(r.instanceId)).toEqual([]);

    // Progress: held pending until the screen says so, then running with both status checks.
    fake.faults.pendingPolls = 1_000_000;
    shown.press(KEY.enter);
    await shown.see(/i-[0-9a-f]+: pending/, 30_000);
    fake.settle();
    const done = await shown.see('restore of system — ✓ done', 60_000);
    expect(done).toMatch(/i-[0-9a-f]+: running, system ok, instance ok/);
    expect(done).toMatch(/instance status check\s+ok\s+ok\s+✓ match/);
    const launched = launchedFrom(r.instanceId);
    expect(launched.map((i) => [i.state, i.instanceType, i.subnetId])).toEqual([['running', 'm5.large', 'subnet-0tui']]);
    expect(done).toContain(`launched ${launched[0]!.instanceId}`);

    shown.press(KEY.enter);
    await shown.see(/✓ {2}1 Launch the server from its image/);
  });

  test('esc before enter launches nothing: the step stays pending', async () => {
    const r = (repo = await ec2Repo(fake));
    const before = runInstances().length;
    const shown = await launchReview(r);
    await shown.see('dry run answered:');
    shown.press(KEY.esc);
    await shown.see('2/4 pick a target');
    shown.press(KEY.esc);
    await shown.see('1/4 pick a backup');
    shown.press(KEY.esc);
    await shown.see(/› · {2}1 Launch the server from its image/);
    expect(launchedFrom(r.instanceId)).toEqual([]);
    expect(runInstances().slice(before).map((q) => q.params['DryRun'])).toEqual(['true']);
  });

  test("a dry run EC2 refuses stops the step at the review: EC2's sentence, enter does not launch", async () => {
    const r = (repo = await ec2Repo(fake));
    fake.faults.denied = ['RunInstances'];
    const shown = await launchReview(r);
    await shown.seeWrapped('✗ refused, nothing was touched:');
    await shown.see(/UnauthorizedOperation/);
    shown.press(KEY.enter);
    await shown.seeWrapped('this restore would be refused (above)');
    expect(launchedFrom(r.instanceId)).toEqual([]);
  });

  test('cancelled while the instance is pending: the launched instance is terminated, the step fails', async () => {
    const r = (repo = await ec2Repo(fake));
    const shown = await launchReview(r);
    await shown.see('dry run answered:');
    // The new instance stays pending until the test has cancelled.
    fake.faults.pendingPolls = 1_000_000;
    shown.press(KEY.enter);
    await shown.see(/i-[0-9a-f]+: pending/, 30_000);
    expect(launchedFrom(r.instanceId).map((i) => i.state)).toEqual(['pending']);
    // Esc asks first, as c does: the launch goes on until y.
    shown.press(KEY.esc);
    await shown.see('y cancel it · n keep running');
    shown.press('y');
    await shown.see('restore of system — cancelled', 30_000);
    expect(launchedFrom(r.instanceId).map((i) => i.state)).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
    await shown.see(`✗ ${launchedFrom(r.instanceId)[0]!.instanceId} was terminated; the restore was cancelled`);
    shown.press(KEY.enter);
    await shown.see(/✗ {2}1 Launch the server from its image/);
  });

  test('cancelled while RunInstances itself is in flight (the fake holds its answer): the instance is found by its ClientToken and terminated, the screen says so', async () => {
    const r = (repo = await ec2Repo(fake));
    const shown = await launchReview(r);
    await shown.see('dry run answered:');
    const held = fake.hold('RunInstances');
    shown.press(KEY.enter);
    const token = (await held.reached).params['ClientToken']!;
    shown.press(KEY.esc);
    await shown.see('y cancel it · n keep running');
    shown.press('y');
    await shown.see('restore of system — cancelled', 30_000);
    const launched = launchedFrom(r.instanceId);
    expect(launched.map((i) => [i.clientToken, i.state])).toEqual([[token, 'terminated']]);
    // Outcome first: the 80-column screen cuts the rest of the sentence.
    await shown.see(`✗ ${launched[0]!.instanceId} was terminated (launched with ClientToken`);
    shown.press(KEY.enter);
    await shown.see(/✗ {2}1 Launch the server from its image/);
  });
});
