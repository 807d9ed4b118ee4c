import { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ec2Code, ec2Failure } from './client.js';
import { TAG } from './tags.js';

export interface Discarded {
  imageId: string;
  region: string;
  snapshots: string[];
  /** Sentences: what could not be removed (left for `lifeboat ec2 orphans` / the next prune). */
  problems: string[];
}

/**
 * Deregisters an image and deletes every snapshot it used, in that order
 * (EC2 refuses to delete a snapshot an image still uses). Snapshot ids come
 * from the image itself when EC2 still shows it, else from the backup-id tag.
 * Already gone counts as done.
 */
export async function discardImage(client: EC2Client, region: string, imageId: string, opts: { backupId?: string; snapshotIds?: string[] } = {}): Promise<Discarded> {
  const problems: string[] = [];
  const snapshots = new Set(opts.snapshotIds ?? []);
  try {
    const { Images } = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    for (const mapping of Images?.[0]?.BlockDeviceMappings ?? []) if (mapping.Ebs?.SnapshotId) snapshots.add(mapping.Ebs.SnapshotId);
  } catch (err) {
    if (ec2Code(err) !== 'InvalidAMIID.NotFound') problems.push(ec2Failure(`DescribeImages ${imageId}`, region, err));
  }
  if (opts.backupId !== undefined) {
    try {
      const { Snapshots } = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.backupId}`, Values: [opts.backupId] }] }));
      for (const s of Snapshots ?? []) if (s.SnapshotId) snapshots.add(s.SnapshotId);
    } catch (err) {
      problems.push(ec2Failure('DescribeSnapshots', region, err));
    }
  }
  try {
    await client.send(new DeregisterImageCommand({ ImageId: imageId }));
  } catch (err) {
    if (ec2Code(err) !== 'InvalidAMIID.NotFound') {
      problems.push(ec2Failure(`DeregisterImage ${imageId}`, region, err));
      return { imageId, region, snapshots: [], problems };
    }
  }
  const deleted: string[] = [];
  for (const snapshotId of snapshots) {
    try {
      await client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      deleted.push(snapshotId);
    } catch (err) {
      if (ec2Code(err) === 'InvalidSnapshot.NotFound') deleted.push(snapshotId);
      else problems.push(ec2Failure(`DeleteSnapshot ${snapshotId}`, region, err));
    }
  }
  return { imageId, region, snapshots: deleted, problems };
}
