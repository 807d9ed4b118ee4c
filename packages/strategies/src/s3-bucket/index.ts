import type { Strategy } from '@lifeboat/core';
import { deferred } from '../deferred.js';
import { mediaArchive } from './archive.js';
import { INVENTORY } from './names.js';
import { s3BucketConfig, type S3BucketConfig } from './config.js';
import { s3BucketRestoreSurface } from './restore-surface.js';
import { mediaRequirements } from './state.js';
import { mediaIamStatements } from './iam.js';

// Its backup, restore, drill and doctor load when a command first uses them.
const restore = () => import('./restore.js');

export const s3BucketStrategy: Strategy<S3BucketConfig> = {
  kind: 's3-bucket',
  summary: 'a versioned S3 bucket (media) that is its own backup: hourly checkpoints of its versions, restores as of a time',
  config: s3BucketConfig,
  backup: deferred(() => import('./backup.js'), 'backupMedia'),
  restore: deferred(restore, 'restoreMedia'),
  preflight: deferred(restore, 'preflightMedia'),
  restoreSurface: s3BucketRestoreSurface,
  archive: mediaArchive,
  doctor: deferred(() => import('./doctor.js'), 'doctorMedia'),
  buckets: ({ component, config }) => mediaRequirements(component, config),
  iamStatements: mediaIamStatements,
  // The restore reads the live bucket's versions; the checkpoint is read only to compare with it (drills).
  restoreArtifacts: (_, request) => (request.options.compareCheckpoint === true ? [INVENTORY] : []),
  prepareDrill: deferred(() => import('./drill.js'), 'prepareMediaDrill'),
  // A copy into another bucket or prefix replaces nothing the services use.
  runsHooks: (request) => request.options.toBucket === undefined && request.target === undefined,
};
export type { S3BucketConfig };
export { versionAsOf } from './as-of.js';
