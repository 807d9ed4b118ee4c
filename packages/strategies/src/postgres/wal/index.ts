export { walPush, storeWalFile, WalRefusal, type WalPushResult } from './push.js';
export { spoolWalFile, runningPusher, readPusherState, PUSHER_LOG, type WalSpool, type WalSpoolBacklog, type PusherFailure } from './spool.js';
export { walSpool, walSpoolBacklog } from './wal-component.js';
export { runWalPusher, PUSHER_DEFAULTS, type WalPusherOptions, type WalPusherResult } from './pusher.js';
export { walGet, type WalGetResult } from './get.js';
export { walVerify, type WalVerifyReport, type WalDestinationReport, type TimelineReport } from './verify.js';
export { parseWalFileName, readSegmentHeader, readWalFile, type WalFileName, type WalFile } from './wal-file.js';
export type { WalEntry, ClusterMarker } from './archive-layout.js';
