export { FsStorage } from './fs/fs-adapter.js';
export { fsStorageType } from './fs/fs-type.js';
export {
  S3Storage,
  S3_SERVER_SIDE_ENCRYPTION,
  S3_STORAGE_CLASSES,
  type S3ServerSideEncryption,
  type S3StorageClass,
  type S3StorageOptions,
} from './s3/s3-adapter.js';
export { s3StorageType, type S3Config } from './s3/s3-type.js';
export { createS3Client, type S3Connection } from './s3/s3-client.js';
export { ARTIFACT_TAG } from './s3/artifact-tag.js';
export { ArchivedCopyError, THAW_DAYS } from './s3/archived-object.js';
// Buckets as code: `lifeboat s3 apply`, `s3 check` and `s3 policy`.
export {
  desiredBucket,
  type BucketDestination,
  type BucketLifecycle,
  type DesiredBucket,
  type EncryptionSpec,
  type LifecycleRuleSpec,
  type ObjectLockSpec,
  type ReplicationRuleSpec,
} from './s3/bucket-plan.js';
export { readBucketState, type BucketState } from './s3/bucket-state.js';
export { diffBucket, type BucketChange, type BucketDiff, type BucketSetting } from './s3/bucket-diff.js';
export { applyBucketDiff, reconcileBucket } from './s3/bucket-apply.js';
export { bucketClient, planBuckets } from './s3/s3-buckets.js';
export { APPLY_SID, iamPolicy, type IamPolicy, type IamStatement } from './s3/iam-policy.js';
