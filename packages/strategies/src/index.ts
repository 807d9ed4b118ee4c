export { strategies, ec2Strategy, filesStrategy, postgresStrategy, redisStrategy, s3BucketStrategy } from './kinds.js';
export { ec2Orphans, type OrphanSnapshot } from './ec2/index.js';
export type { S3BucketConfig } from './s3-bucket/index.js';
export type { PostgresConfig } from './postgres/index.js';
export { BASE_BACKUP_WATCH } from './postgres/index.js';
export { walGet, walPush, walVerify, walSetup, walSetupCheck, WalRefusal, readWalFile, walSpool, spoolWalFile, walSpoolBacklog, runningPusher, runWalPusher, PUSHER_LOG, runWalPrefetcher, walPrefetchCount, prefetchFolderFor, segmentBytesOf, parseWalFileName, endPrefetch } from './postgres/wal/index.js';
export type { WalGetResult, WalPushResult, WalVerifyReport, WalSetup, WalSetupCheck, WalSpool, WalSpoolBacklog, WalStatusFields, WalPusherResult, WalPrefetcherResult } from './postgres/wal/index.js';
