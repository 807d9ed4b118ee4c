export { walPush, WalRefusal, type WalPushResult } from './push.js';
export { walGet, type WalGetResult } from './get.js';
export { walVerify, type WalVerifyReport, type WalDestinationReport, type TimelineReport } from './verify.js';
export { parseWalFileName, readSegmentHeader, type WalFileName } from './wal-file.js';
export type { WalEntry, ClusterMarker } from './archive-layout.js';
export { walSetup, walSetupCheck, type WalSetup, type WalSetupCheck, type WalSetting, type WalSettingCheck } from './setup.js';
export type { WalSpoolBacklog, WalStatusFields } from './status.js';
