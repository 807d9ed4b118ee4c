/**
 * What of the s3 destination needs the AWS SDK, gathered for `loadS3Sdk()`
 * in the package's front door: importing this module loads the SDK, so the
 * front door imports it only when asked (`lifeboat s3 …`, or code that
 * builds an S3Storage itself).
 */
export { S3Storage, type S3StorageOptions } from './s3-adapter.js';
export { createS3Client } from './s3-client.js';
export { ArchivedCopyError, THAW_DAYS } from './archived-object.js';
export { readBucketState } from './bucket-state.js';
export { diffBucket } from './bucket-diff.js';
export { applyBucketDiff, reconcileBucket } from './bucket-apply.js';
export { reconcileRequirement } from './bucket-requirement-apply.js';
export { bucketClient, planBuckets } from './s3-buckets.js';
export { APPLY_SID, iamPolicy, requirementStatements } from './iam-policy.js';
