import type { RestoreOptionValues, RestoreSurface } from '@lifeboat/core';
import type { Ec2Config } from './config.js';
import { systemImageOf } from './system-image.js';

const OPTIONS = [
  { name: 'launch', type: 'boolean', description: 'launch a new instance from the backup\u2019s image (the only way an ec2 backup is restored)' },
  { name: 'subnet', type: 'string', valueName: 'subnet-id', description: 'the subnet to launch into (default: the one the instance ran in)' },
  { name: 'instanceType', type: 'string', valueName: 'type', description: 'the instance type to launch (default: the one the instance had)' },
  { name: 'region', type: 'string', valueName: 'region', description: 'launch from the image\u2019s copy in this region (copyTo), e.g. when the home region is down' },
  { name: 'dryRun', type: 'boolean', description: 'check permissions with RunInstances DryRun and say what would be launched; launch nothing' },
] as const;

/** What `request.options` holds for an ec2 restore (checked by the engine against `OPTIONS`). */
export type Ec2RestoreOptions = RestoreOptionValues<typeof OPTIONS>;

/** A new instance beside everything else; the old one is never touched. */
export const ec2RestoreSurface: RestoreSurface<Ec2Config> = {
  to: { description: 'not used by ec2 components: --launch starts a new instance from the image' },
  options: OPTIONS,
  examples: [
    '  $ lifeboat restore system --launch --dry-run',
    '      RunInstances with DryRun (proves the permissions), and what would be launched from which image',
    '  $ lifeboat restore system --launch --subnet subnet-0abc --instance-type m5.large --json',
    '      launch from the latest backup\u2019s image, wait for running and status checks, print the instance',
    '  $ lifeboat restore system --launch --region us-east-1',
    '      launch from the copy in us-east-1 (copyTo) with the recorded settings; give --subnet there',
  ],
  targets: () => [
    {
      kind: 'launch',
      label: 'a new instance from the image, with the recorded settings (the old one is not touched)',
      value: 'a new instance',
      set: { options: { launch: true } },
      beside: true,
      headline: () => 'launch a new instance from the backup\u2019s image',
      // What would be launched, proven by EC2 itself, before the person says launch.
      rehearsal: { options: { dryRun: true }, checking: 'RunInstances with DryRun: proving the permissions and the settings; nothing is launched\u2026', go: 'launch' },
    },
    {
      kind: 'launchDryRun',
      label: 'dry run: prove the permissions and show what would be launched',
      value: 'nothing (dry run)',
      set: { options: { launch: true, dryRun: true } },
      beside: true,
      headline: () => 'dry run of a launch from the backup\u2019s image',
    },
  ],
  drill: () => ({ place: 'a new instance launched from the image', fresh: 'started' }),
  checks: () => 'the instance is running and passes its EC2 status checks',
  describe: ({ manifest, chosen }) => {
    const record = systemImageOf(manifest.facts);
    const image = record?.images[0];
    const dryRun = chosen.dryRun === true;
    return {
      withoutBeforeHooks: 'nothing is stopped: the new instance starts beside the old one',
      restore: [
        `${dryRun ? 'ask RunInstances with DryRun (nothing is launched)' : 'RunInstances with DryRun first, then launch'} from ${image ? `${image.imageId} in ${image.region}` : 'the backup\u2019s image'}`,
        record ? `as ${record.instance.instanceType} in ${record.instance.subnetId ?? 'the default subnet'} with ${record.instance.securityGroupIds.join(', ') || 'the default security group'}` : 'with the recorded settings',
        ...(dryRun ? [] : ['wait for running and both status checks, then print the new instance']),
      ],
    };
  },
};
