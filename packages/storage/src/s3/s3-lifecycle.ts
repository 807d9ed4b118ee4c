import type { LifecycleCapability } from '@lifeboat/core';

/**
 * S3's lifecycle rules, as the s3 type declares them to core: `lifeboat plan
 * check` proves a plan's `lifecycle:` against these before every backup and
 * prune, and `lifeboat s3 apply` puts the rules on the bucket.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
 */
export const S3_LIFECYCLE = {
  provider: 'S3',
  holders: 'S3 buckets',
  containerField: 'bucket',
  containerWords: 'the bucket of an s3 destination',
  prefixField: 'prefix',
  writeClassField: 'storageClass',
  // S3 moves objects only down this list (its "waterfall"); STANDARD is where they start.
  classes: ['STANDARD', 'STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
  refusedMoves: [['ONEZONE_IA', 'GLACIER_IR']],
  minimumAgeDays: { STANDARD_IA: 30, ONEZONE_IA: 30 },
  // Minimum storage durations: S3 bills these days however early an object leaves.
  minimumDays: { STANDARD: 0, STANDARD_IA: 30, INTELLIGENT_TIERING: 0, ONEZONE_IA: 30, GLACIER_IR: 90, GLACIER: 90, DEEP_ARCHIVE: 180 },
  // Objects in these need a restore request (hours) before a read.
  archiveClasses: ['GLACIER', 'DEEP_ARCHIVE'],
} as const satisfies LifecycleCapability;

/** Whether objects in the class need a restore request before a read. */
export function isArchiveClass(storageClass: string): boolean {
  return (S3_LIFECYCLE.archiveClasses as readonly string[]).includes(storageClass);
}
