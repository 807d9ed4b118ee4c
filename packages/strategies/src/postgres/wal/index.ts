export { walPush, WalRefusal, type WalPushResult } from './push.js';
export { walGet, type WalGetResult } from './get.js';
export { walVerify, type WalVerifyReport, type WalDestinationReport, type TimelineReport } from './verify.js';
export { parseWalFileName, readSegmentHeader, type WalFileName } from './wal-file.js';
export type { WalEntry, ClusterMarker } from './archive-layout.js';
