export { verifyChecksums, type ArtifactCheck } from './checksums.js';
export { runVerify, DEFAULT_ARCHIVE_SAMPLE_PCT, type CopyVerification, type VerifyOptions } from './verify.js';
export { runDrill, type DrillResult } from './drill.js';
export { assessStatus, readStatus, withArchiveStatus, DEFAULT_RULE321, WARNING_SHARE, type ComponentStatus, type Health } from './status.js';
export { prometheusText, writePrometheusFile } from './prometheus.js';
export { runHealthCheck } from './health-check.js';
export { rotatingSample } from './sample.js';
export { sendAlert, pingChannels, type Delivery, type PingPhase } from './notify/notify.js';
export type { Alert } from './notify/alert.js';
