import { LifeboatError, type ComponentPlan, type Plan } from '@lifeboat/core';
import { ec2Client, ec2Failure } from './client.js';
import { regionsOf, type Ec2Config } from './config.js';
import { ownedImages, ownedSnapshots, snapshotIdsOf } from './owned.js';
import { TAG, tagOf } from './tags.js';

export interface OrphanSnapshot {
  component: string;
  region: string;
  snapshotId: string;
  sizeGiB: number;
  startTime?: string;
  backupId?: string;
  /** The command that removes it, for a person to run after a look. */
  delete: string;
}

/**
 * Snapshots Lifeboat tagged for an ec2 component of this plan whose image is
 * gone (deregistered by hand, or a backup killed before it could clean up):
 * they cost money and restore nothing. Lists; deletes nothing.
 */
export async function ec2Orphans(plan: Plan, env: Readonly<Record<string, string | undefined>>): Promise<OrphanSnapshot[]> {
  const found: OrphanSnapshot[] = [];
  for (const [component, entry] of Object.entries(plan.components)) {
    if (entry.type !== 'ec2') continue;
    const config = entry as unknown as ComponentPlan & Ec2Config;
    const owner = { planName: plan.name, component };
    for (const region of regionsOf(config)) {
      const client = ec2Client(config, region, env);
      try {
        const used = new Set((await ownedImages(client, owner)).flatMap(snapshotIdsOf));
        for (const snapshot of await ownedSnapshots(client, owner)) {
          if (used.has(snapshot.SnapshotId!)) continue;
          const backupId = tagOf(snapshot.Tags, TAG.backupId);
          found.push({
            component,
            region,
            snapshotId: snapshot.SnapshotId!,
            sizeGiB: snapshot.VolumeSize ?? 0,
            ...(snapshot.StartTime && { startTime: snapshot.StartTime.toISOString() }),
            ...(backupId !== undefined && { backupId }),
            delete: `aws ec2 delete-snapshot --region ${region} --snapshot-id ${snapshot.SnapshotId}`,
          });
        }
      } catch (err) {
        throw new LifeboatError(ec2Failure(`listing the images and snapshots of ${component}`, region, err), undefined, { cause: err });
      } finally {
        client.destroy();
      }
    }
  }
  return found;
}
