/**
 * The lean front door for `lifeboat wal push` with pitr.async and for
 * `lifeboat wal get` of a prefetched segment: each loads only this (node
 * built-ins and @lifeboat/core/lean), not the strategies, zod or the storage
 * SDKs. Everything here is also in the main entry.
 */
export { spoolWalFile, runningPusher, spoolBacklog, PUSHER_LOG, type WalSpool, type WalSpoolBacklog } from './postgres/wal/spool.js';
export { parseWalFileName, segmentFile } from './postgres/wal/wal-file.js';
export { prefetchFolderFor, prefetcherEnv, takePrefetched, recordPosition, runningPrefetcher, segmentBytesOf, prefetchRestoreCommand, absentName, type PrefetchFolder } from './postgres/wal/prefetch-folder.js';
