import { startEc2Fake, type Ec2Fake, type FakeInstance } from '@lifeboat/testkit';
import type { Strategy } from '@lifeboat/core';
import { strategyContract, type ContractSource } from '../contract/index.js';
import { ec2Strategy } from './index.js';

/**
 * An ec2 source is an instance in the EC2 fake (no EC2 emulator exists; the
 * fake speaks the EC2 Query API to the real client-ec2). The kind's measure
 * is what a launch must rebuild: instance type, subnet, security groups, key
 * and volume sizes. A restore target is the instance `--launch` starts: an
 * ec2 restore never replaces anything, so "occupied" is a request without
 * --launch, which must be refused.
 */
let fake: Ec2Fake;

const measureInstance = (i: FakeInstance | undefined) =>
  i && {
    instanceType: i.instanceType,
    subnetId: i.subnetId,
    securityGroupIds: i.securityGroupIds,
    keyName: i.keyName,
    volumes: i.volumes.map((v) => `${v.device} ${v.sizeGiB} GiB`),
  };

async function instanceSource(): Promise<ContractSource> {
  const instanceId = fake.addInstance({
    instanceType: 'm5.large',
    subnetId: 'subnet-0contract',
    securityGroupIds: ['sg-0web', 'sg-0ssh'],
    keyName: 'ops',
    volumes: [
      { device: '/dev/xvda', sizeGiB: 30 },
      { device: '/dev/xvdf', sizeGiB: 200 },
    ],
  });
  // Instances launched from this source's images (the fake is shared by the suite's tests).
  const launched = () => {
    const images = new Set(fake.images().filter((image) => image.sourceInstanceId === instanceId).map((image) => image.imageId));
    return fake.instances().filter((i) => images.has(i.imageId) && i.state !== 'terminated');
  };
  const env = { AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey };
  const config = { instanceId, region: 'us-west-2', endpoint: fake.endpoint, imageTimeout: '10s', launchTimeout: '10s' };
  return {
    config,
    env,
    secrets: [fake.credentials.secretAccessKey],
    fill: async () => undefined,
    measure: async () => measureInstance(fake.instances().find((i) => i.instanceId === instanceId)),
    // An image that never leaves pending: the backup must give up at its deadline and remove it.
    dying: async () => {
      fake.faults.stuckPending = true;
      return { config: { imageTimeout: '1s' }, env, failure: /was still pending after 1 s \(imageTimeout\)/ };
    },
    target: async (state) => ({
      request: { options: state === 'empty' ? { launch: true } : {} },
      env,
      measure: async () => measureInstance(launched().at(-1)),
    }),
    cleanup: async () => {
      fake.faults.stuckPending = false;
      // Fail closed: nothing a failed backup made is left behind in EC2.
      const pending = fake.images().filter((i) => i.state === 'pending');
      if (pending.length > 0) throw new Error(`images left pending: ${pending.map((i) => i.imageId).join(', ')}`);
    },
  };
}

strategyContract('ec2', {
  strategy: ec2Strategy as Strategy<never>,
  start: async () => {
    fake = await startEc2Fake();
  },
  stop: () => fake.stop(),
  source: instanceSource,
  confirm: { options: { launch: true } },
  stockTools: { 'system-image.json': { command: 'jq -r ".images[].imageId"', output: /^ami-[0-9a-f]{17}$/m } },
  drillTarget: 'launch',
  onChange: false,
});
