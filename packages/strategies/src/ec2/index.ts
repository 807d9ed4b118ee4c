import type { Strategy } from '@lifeboat/core';
import { ec2Archive } from './archive.js';
import { backupEc2 } from './backup.js';
import { ec2Config, type Ec2Config } from './config.js';
import { prepareEc2Drill } from './drill.js';
import { ec2IamStatements } from './iam.js';
import { launchEc2, preflightEc2 } from './launch.js';
import { ec2RestoreSurface } from './restore-surface.js';

export const ec2Strategy: Strategy<Ec2Config> = {
  kind: 'ec2',
  summary: 'a whole EC2 instance as an AMI (one EBS snapshot per volume, NoReboot), copied to other regions; restored by launching a new instance',
  config: ec2Config,
  backup: backupEc2,
  restore: launchEc2,
  preflight: preflightEc2,
  restoreSurface: ec2RestoreSurface,
  // A launch starts a new instance beside production: the plan's beforeRestore/afterRestore hooks do not run.
  runsHooks: () => false,
  archive: ec2Archive,
  prepareDrill: prepareEc2Drill,
  iamStatements: ec2IamStatements,
};
export type { Ec2Config };
export { ec2Orphans, type OrphanSnapshot } from './orphans.js';
