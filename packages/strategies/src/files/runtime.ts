// What a files component does, loaded when a command first uses it (index.ts: deferred).
import type { ContentEntry, RestoreContext } from '@lifeboat/core';
import { ARTIFACT } from './archive.js';
import type { FilesConfig } from './config.js';
import { contentEntry, readEntries } from './contents.js';

export { backupFiles } from './backup.js';
export { checkFiles } from './check.js';
export { prepareFilesDrill } from './drill.js';
export { preflightFiles, restoreFiles, reviewFiles } from './restore.js';
export { doctorFiles } from './doctor.js';

export async function filesContents(ctx: RestoreContext<FilesConfig>): Promise<ContentEntry[]> {
  return (await readEntries(await ctx.open(ARTIFACT))).map(contentEntry);
}
