import { join } from 'node:path';
import { LifeboatError, runCommand } from '@lifeboat/core';

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql' | 'pg_basebackup';

/** Where a client tool is: in binDir when the plan sets it, else on PATH. */
export function toolPath(tool: PgTool, binDir: string | undefined): string {
  return binDir ? join(binDir, tool) : tool;
}

/** Major version of a client tool (`pg_dump (PostgreSQL) 15.18 (Debian…)` → 15). */
export async function toolMajor(tool: PgTool, binDir: string | undefined, env: Record<string, string | undefined>): Promise<number> {
  const { stdout } = await runCommand(toolPath(tool, binDir), ['--version'], { env });
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!m) throw new LifeboatError(`could not read the version of ${tool} from "${stdout.trim()}"`);
  return Number(m[1]);
}

/** Server major version from server_version_num (150018 → 15; 90624 → 9). */
export function serverMajor(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 100) / 100;
}

/** pg_dump must be at least as new as the server or it refuses (or worse, misses objects). */
export function checkDumpVersion(dumpMajor: number, serverVersion: string, serverMajorVersion: number, binDir: string | undefined): void {
  if (dumpMajor < serverMajorVersion) {
    throw new LifeboatError(
      `pg_dump ${dumpMajor}${binDir ? ` in ${binDir}` : ''} is older than the PostgreSQL ${serverVersion.split(' ')[0]} server; install the version ${serverMajorVersion} client tools or set binDir to them`,
    );
  }
}
