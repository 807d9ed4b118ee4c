import path from 'node:path';
import type { Strategy } from '@lifeboat/core';
import { deferred } from '../deferred.js';
import { filesConfig, pathSpecs, type FilesConfig } from './config.js';
import { hasGlob } from './glob.js';
import { filesRestoreSurface } from './restore-surface.js';

// Its backup, restore and checks (and tar) load when a command first uses them.
const restore = () => import('./restore.js');

export const filesStrategy: Strategy<FilesConfig> = {
  kind: 'files',
  summary: 'files and folders (config, TLS, Docker volumes) as a POSIX tar.gz that stock tar restores; on-change schedules skip unchanged sets',
  config: filesConfig,
  backup: deferred(() => import('./backup.js'), 'backupFiles'),
  restore: deferred(restore, 'restoreFiles'),
  preflight: deferred(restore, 'preflightFiles'),
  review: deferred(restore, 'reviewFiles'),
  restoreSurface: filesRestoreSurface,
  contents: deferred(() => import('./contents.js'), 'filesContents'),
  check: deferred(() => import('./check.js'), 'checkFiles'),
  prepareDrill: deferred(() => import('./drill.js'), 'prepareFilesDrill'),
  doctor: deferred(() => import('./doctor.js'), 'doctorFiles'),
  watchedPaths: (config, planDir) => {
    const written = pathSpecs(config).map((spec) => path.resolve(planDir, spec.written));
    return { paths: written.filter((p) => !hasGlob(p)), unwatched: written.filter((p) => hasGlob(p)) };
  },
};
export type { FilesConfig };
