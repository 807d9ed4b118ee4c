import type { Strategy } from '@lifeboat/core';
import { ec2Strategy } from './ec2/index.js';
import { filesStrategy } from './files/index.js';
import { postgresStrategy } from './postgres/index.js';
import { redisStrategy } from './redis/index.js';
import { s3BucketStrategy } from './s3-bucket/index.js';

export { ec2Strategy, filesStrategy, postgresStrategy, redisStrategy, s3BucketStrategy };
export { ec2Orphans, type OrphanSnapshot } from './ec2/index.js';
export type { S3BucketConfig } from './s3-bucket/index.js';
export type { PostgresConfig } from './postgres/index.js';
export { BASE_BACKUP_WATCH } from './postgres/index.js';

/** Every strategy this build ships, for the apps' registry. */
export const strategies: Strategy<never>[] = [postgresStrategy, redisStrategy, filesStrategy, ec2Strategy, s3BucketStrategy] as Strategy<never>[];
export { walGet, walPush, walVerify, walSetup, walSetupCheck, WalRefusal, readWalFile, walSpool, spoolWalFile, walSpoolBacklog, runningPusher, runWalPusher, PUSHER_LOG, runWalPrefetcher, walPrefetchCount, prefetchFolderFor, segmentBytesOf, parseWalFileName, endPrefetch } from './postgres/wal/index.js';
export type { WalGetResult, WalPushResult, WalVerifyReport, WalSetup, WalSetupCheck, WalSpool, WalSpoolBacklog, WalStatusFields, WalPusherResult, WalPrefetcherResult } from './postgres/wal/index.js';
