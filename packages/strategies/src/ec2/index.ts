import type { KindArchive, Plan, Strategy } from '@lifeboat/core';
import { ec2Config, type Ec2Config } from './config.js';
import { ec2IamStatements } from './iam.js';
import { ec2RestoreSurface } from './restore-surface.js';
import type { OrphanSnapshot } from './orphans.js';

// The EC2 SDK takes seconds to import: every command would pay it, so the
// kind loads it the first time an ec2 component is worked on.
const runtime = () => import('./runtime.js');

const ec2Archive: KindArchive<Ec2Config> = {
  name: 'EC2 images',
  applies: () => true,
  prune: async (ctx) => (await runtime()).ec2Archive.prune(ctx),
  status: async (ctx) => (await runtime()).ec2Archive.status(ctx),
  verify: async (ctx) => (await runtime()).ec2Archive.verify(ctx),
};

export const ec2Strategy: Strategy<Ec2Config> = {
  kind: 'ec2',
  summary: 'a whole EC2 instance as an AMI (one EBS snapshot per volume, NoReboot), copied to other regions; restored by launching a new instance',
  config: ec2Config,
  backup: async (ctx) => (await runtime()).backupEc2(ctx),
  restore: async (ctx) => (await runtime()).launchEc2(ctx),
  preflight: async (ctx) => (await runtime()).preflightEc2(ctx),
  restoreSurface: ec2RestoreSurface,
  // A plan with a system image recovers a lost server by launching it: the scenario's first step.
  runbookSteps: (component) => [
    {
      runbook: 'server-failure',
      at: 'start',
      step: {
        title: 'Launch the server from its image',
        detail: `A new instance from ${component}'s latest image, with the recorded instance type, subnet and security groups. RunInstances with DryRun runs first and shows what would be launched; enter launches; the wait for running and both status checks has the plan's launchTimeout as deadline; c cancels (an instance already launched is terminated). The old instance is not touched. CLI: lifeboat restore ${component} --launch [--dry-run].`,
        action: { type: 'restore', component, target: 'launch' },
      },
    },
  ],
  // A launch starts a new instance beside production: the plan's beforeRestore/afterRestore hooks do not run.
  runsHooks: () => false,
  archive: ec2Archive,
  prepareDrill: async (ctx, target) => (await runtime()).prepareEc2Drill(ctx, target),
  iamStatements: ec2IamStatements,
};
export type { Ec2Config, OrphanSnapshot };

/** Lifeboat-tagged snapshots of the plan's ec2 components whose image is gone (`lifeboat ec2 orphans`). */
export async function ec2Orphans(plan: Plan, env: Readonly<Record<string, string | undefined>>): Promise<OrphanSnapshot[]> {
  return (await runtime()).ec2Orphans(plan, env);
}
