import { DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client, type Image, type Snapshot } from '@aws-sdk/client-ec2';
import { ownedFilters, type Ownership } from './tags.js';

/** Every image this component of this plan made in the client's region (any state). */
export async function ownedImages(client: EC2Client, owner: Ownership): Promise<Image[]> {
  const images: Image[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeImagesCommand({ Owners: ['self'], Filters: ownedFilters(owner), ...(NextToken ? { NextToken, MaxResults: 1000 } : {}) }));
    images.push(...(page.Images ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return images;
}

/** Every snapshot this component of this plan made in the client's region. */
export async function ownedSnapshots(client: EC2Client, owner: Ownership): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: ownedFilters(owner), ...(NextToken ? { NextToken } : {}) }));
    snapshots.push(...(page.Snapshots ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return snapshots;
}

export function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
}
