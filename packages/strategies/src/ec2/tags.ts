import type { Tag } from '@aws-sdk/client-ec2';

/** The tags Lifeboat puts on every image and snapshot it makes, and finds them by. */
export const TAG = {
  plan: 'lifeboat:plan',
  component: 'lifeboat:component',
  backupId: 'lifeboat:backup-id',
} as const;

export interface Ownership {
  planName: string;
  component: string;
}

export function lifeboatTags(owner: Ownership, backupId: string, name: string): Tag[] {
  return [
    { Key: TAG.plan, Value: owner.planName },
    { Key: TAG.component, Value: owner.component },
    { Key: TAG.backupId, Value: backupId },
    { Key: 'Name', Value: name },
  ];
}

/** Filters for what one component of one plan made. */
export function ownedFilters(owner: Ownership): Array<{ Name: string; Values: string[] }> {
  return [
    { Name: `tag:${TAG.plan}`, Values: [owner.planName] },
    { Name: `tag:${TAG.component}`, Values: [owner.component] },
  ];
}

export function tagOf(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** The image's name: unique per account and region, so a retried CreateImage cannot make a second image. */
export function imageName(owner: Ownership, backupId: string): string {
  return `lifeboat-${owner.planName}-${owner.component}-${backupId}`.slice(0, 128);
}
