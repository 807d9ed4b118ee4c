import { describeError, type DoctorCheck, type DoctorContext } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';
import { connect, pgTarget } from './connection.js';
import { assertTablesExist } from './facts.js';
import { checkDumpVersion, serverMajor, toolMajor } from './tools.js';
import { readArchiver } from './wal/live-server.js';
import { walSetupCheck } from './wal/setup.js';

/**
 * `lifeboat doctor` for a postgres component: the server answers with the
 * plan's credentials, verify.tables exist, pg_dump is at least the server's
 * major, and with `pitr:` the server archives with this plan and its
 * archiver is not failing. Reads only.
 */
export async function doctorPostgres(ctx: DoctorContext<PostgresConfig>): Promise<DoctorCheck[]> {
  const { config, component } = ctx;
  const source = `source ${component}`;
  const field = `components.${component}.url`;
  let target: ReturnType<typeof pgTarget>;
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    target = pgTarget(await ctx.secrets.resolve(config.url, field), field);
    client = await connect(target);
  } catch (err) {
    return [{ level: 'critical', check: source, detail: `${describeError(err)}; fix the server or ${field}` }];
  }
  const checks: DoctorCheck[] = [];
  let version: { text: string; major: number };
  try {
    const row = (await client.query<{ version: string; num: string }>("SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num")).rows[0]!;
    version = { text: row.version.split(' ')[0]!, major: serverMajor(Number(row.num)) };
    try {
      await assertTablesExist(client, config.verify.tables, target.database);
      checks.push({ level: 'ok', check: source, detail: `PostgreSQL ${version.text} at ${target.display} answers${config.verify.tables.length ? `; verify.tables exist (${config.verify.tables.join(', ')})` : ''}` });
    } catch (err) {
      checks.push({ level: 'critical', check: source, detail: `${describeError(err)}; fix components.${component}.verify.tables` });
    }
    if (config.pitr) {
      const archiver = await readArchiver(client);
      if (archiver.failing) {
        checks.push({
          level: 'critical',
          check: `wal ${component}`,
          detail: `the server's archive_command is failing (last failure ${archiver.lastFailedTime} on ${archiver.lastFailedWal}; WAL piles up in pg_wal); read the server's log for lifeboat wal push's message`,
        });
      }
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    return [...checks, { level: 'critical', check: source, detail: `${target.display}: ${describeError(err)}` }];
  }
  await client.end().catch(() => undefined);

  const env = { ...ctx.env, ...target.childEnv };
  try {
    const dumpMajor = await toolMajor('pg_dump', config.binDir, env);
    checkDumpVersion(dumpMajor, version.text, version.major, config.binDir);
    checks.push({ level: 'ok', check: `pg_dump ${component}`, detail: `pg_dump ${dumpMajor}${config.binDir ? ` in ${config.binDir}` : ''} can dump the PostgreSQL ${version.major} server` });
  } catch (err) {
    checks.push({ level: 'critical', check: `pg_dump ${component}`, detail: describeError(err) });
  }

  if (config.pitr) {
    try {
      const setup = await walSetupCheck(ctx.engine, component);
      const wrong = setup.checks.filter((c) => !c.ok);
      checks.push(
        wrong.length === 0
          ? { level: 'ok', check: `wal ${component}`, detail: `${setup.server} archives its WAL with this plan (wal_level, archive_mode, archive_command, archive_timeout)` }
          : { level: 'critical', check: `wal ${component}`, detail: `${wrong.map((c) => c.problem).join('; ')}; lifeboat wal setup ${component} prints the lines to use` },
      );
    } catch (err) {
      checks.push({ level: 'critical', check: `wal ${component}`, detail: describeError(err) });
    }
  }
  return checks;
}
