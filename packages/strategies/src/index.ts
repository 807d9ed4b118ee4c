export { strategies, ec2Strategy, filesStrategy, postgresStrategy, redisStrategy, s3BucketStrategy } from './kinds.js';
export { ec2Orphans, type OrphanSnapshot } from './ec2/index.js';
export type { S3BucketConfig } from './s3-bucket/index.js';
export type { PostgresConfig } from './postgres/index.js';
export { BASE_BACKUP_WATCH } from './postgres/index.js';
export { walGet, walPush, walVerify, WalRefusal, readWalFile, walSpool, spoolWalFile, walSpoolBacklog, runningPusher, runWalPusher, PUSHER_LOG, runWalPrefetcher, walPrefetchCount, prefetchFolderFor, segmentBytesOf, parseWalFileName, endPrefetch } from './wal.js';
export type { WalGetResult, WalPushResult, WalVerifyReport, WalSpool, WalSpoolBacklog, WalPusherResult, WalPrefetcherResult } from './wal.js';
export { walSetup, walSetupCheck, type WalSetup, type WalSetupCheck, type WalStatusFields } from './postgres/wal/index.js';
