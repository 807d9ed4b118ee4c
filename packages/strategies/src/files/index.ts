import path from 'node:path';
import type { Strategy } from '@lifeboat/core';
import { ARTIFACT } from './archive.js';
import { backupFiles } from './backup.js';
import { checkFiles } from './check.js';
import { filesConfig, pathSpecs, type FilesConfig } from './config.js';
import { hasGlob } from './glob.js';
import { contentEntry, readEntries } from './contents.js';
import { prepareFilesDrill } from './drill.js';
import { preflightFiles, restoreFiles, reviewFiles } from './restore.js';
import { filesRestoreSurface } from './restore-surface.js';
import { doctorFiles } from './doctor.js';

export const filesStrategy: Strategy<FilesConfig> = {
  kind: 'files',
  summary: 'files and folders (config, TLS, Docker volumes) as a POSIX tar.gz that stock tar restores; on-change schedules skip unchanged sets',
  config: filesConfig,
  backup: backupFiles,
  restore: restoreFiles,
  preflight: preflightFiles,
  review: reviewFiles,
  restoreSurface: filesRestoreSurface,
  contents: async (ctx) => (await readEntries(await ctx.open(ARTIFACT))).map(contentEntry),
  check: checkFiles,
  prepareDrill: prepareFilesDrill,
  doctor: doctorFiles,
  watchedPaths: (config, planDir) => {
    const written = pathSpecs(config).map((spec) => path.resolve(planDir, spec.written));
    return { paths: written.filter((p) => !hasGlob(p)), unwatched: written.filter((p) => hasGlob(p)) };
  },
};
export type { FilesConfig };
