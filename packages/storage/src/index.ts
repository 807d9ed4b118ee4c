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
