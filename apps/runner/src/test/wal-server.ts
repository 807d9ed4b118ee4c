import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { startArchivingPostgres as startArchiving } from '@lifeboat/testkit';

export { archivedEntry, archiverDone, closeSegment, exists, firstArchived, query, serverOwner, serverTime, sharedDir, until } from '@lifeboat/testkit';

/** The built CLI, as archive_command runs it (`pnpm build` first). */
export const BUILT_CLI = resolve(import.meta.dirname, '../../dist/bin.js');

export const PITR = '    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }\n';

/** A PostgreSQL 15 archiving every WAL file with the built `lifeboat wal push` into the plan's destinations. */
export function startArchivingPostgres(planFile: string, component = 'database'): Promise<EphemeralPostgres> {
  return startArchiving({ cli: BUILT_CLI, planFile, component });
}

export async function writeFileAs(path: string, bytes: Buffer | string): Promise<void> {
  await writeFile(path, bytes);
}
