import type { Strategy } from '@lifeboat/core';
import { mediaArchive } from './archive.js';
import { INVENTORY, backupMedia } from './backup.js';
import { prepareMediaDrill } from './drill.js';
import { doctorMedia } from './doctor.js';
import { s3BucketConfig, type S3BucketConfig } from './config.js';
import { preflightMedia, restoreMedia } from './restore.js';
import { s3BucketRestoreSurface } from './restore-surface.js';
import { mediaRequirements } from './state.js';
import { mediaIamStatements } from './iam.js';

export const s3BucketStrategy: Strategy<S3BucketConfig> = {
  kind: 's3-bucket',
  summary: 'a versioned S3 bucket (media) that is its own backup: hourly checkpoints of its versions, restores as of a time',
  config: s3BucketConfig,
  backup: backupMedia,
  restore: restoreMedia,
  preflight: preflightMedia,
  restoreSurface: s3BucketRestoreSurface,
  archive: mediaArchive,
  doctor: doctorMedia,
  buckets: ({ component, config }) => mediaRequirements(component, config),
  iamStatements: mediaIamStatements,
  // The restore reads the live bucket's versions; the checkpoint is read only to compare with it (drills).
  restoreArtifacts: (_, request) => (request.options.compareCheckpoint === true ? [INVENTORY] : []),
  prepareDrill: prepareMediaDrill,
  // A copy into another bucket or prefix replaces nothing the services use.
  runsHooks: (request) => request.options.toBucket === undefined && request.target === undefined,
};
export type { S3BucketConfig };
export { versionAsOf } from './as-of.js';
