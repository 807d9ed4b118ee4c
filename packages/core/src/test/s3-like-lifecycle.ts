import type { LifecycleCapability } from '../storage-capabilities.js';

/**
 * A lifecycle capability shaped like the s3 storage type's, for core's own
 * plan tests (core may not import @lifeboat/storage; core's sources know no
 * class by name). The real one is @lifeboat/storage's s3/s3-lifecycle.ts.
 */
export const s3LikeLifecycle: LifecycleCapability = {
  provider: 'S3',
  holders: 'S3 buckets',
  containerField: 'bucket',
  containerWords: 'the bucket of an s3 destination',
  prefixField: 'prefix',
  writeClassField: 'storageClass',
  classes: ['STANDARD', 'STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'],
  refusedMoves: [['ONEZONE_IA', 'GLACIER_IR']],
  minimumAgeDays: { STANDARD_IA: 30, ONEZONE_IA: 30 },
  minimumDays: { STANDARD_IA: 30, ONEZONE_IA: 30, GLACIER_IR: 90, GLACIER: 90, DEEP_ARCHIVE: 180 },
  archiveClasses: ['GLACIER', 'DEEP_ARCHIVE'],
};
