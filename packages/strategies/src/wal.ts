/**
 * The WAL archive's front door for `lifeboat wal push|get|prefetch|pusher|backlog|verify` (archive_command,
 * restore_command and their helpers): everything of it but `wal setup --check`, which connects to the live server
 * and so loads the PostgreSQL driver. These commands run once per WAL segment; the main entry has all of this too.
 */
export { walPush, WalRefusal, type WalPushResult } from './postgres/wal/push.js';
export { spoolWalFile, runningPusher, PUSHER_LOG, type WalSpool, type WalSpoolBacklog } from './postgres/wal/spool.js';
export { walSpool, walSpoolBacklog, walPrefetchCount } from './postgres/wal/wal-component.js';
export { runWalPusher, type WalPusherResult } from './postgres/wal/pusher.js';
export { walGet, type WalGetResult } from './postgres/wal/get.js';
export { walVerify, type WalVerifyReport } from './postgres/wal/verify.js';
export { parseWalFileName, readWalFile } from './postgres/wal/wal-file.js';
export { runWalPrefetcher, type WalPrefetcherResult } from './postgres/wal/prefetcher.js';
export { endPrefetch, prefetchFolderFor, segmentBytesOf } from './postgres/wal/prefetch-folder.js';
