import { describeError, type DoctorCheck, type DoctorContext } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';
import { connect, pgTarget } from './connection.js';
import { assertTablesExist } from './facts.js';
import { checkDumpVersion, serverMajor, toolMajor } from './tools.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryKey } from './wal/archive-layout.js';
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
      if (wrong.length === 0) checks.push(await walArrives(ctx, target));
    } catch (err) {
      checks.push({ level: 'critical', check: `wal ${component}`, detail: describeError(err) });
    }
  }
  return checks;
}

/** How long a forced WAL switch may take to reach every destination: archive_command runs at once, pushes take a second or two. */
const WAL_ARRIVAL_MS = 20_000;
const WAL_POLL_MS = 250;

/**
 * Forces a WAL switch (pg_switch_wal) and waits, with a deadline, until the
 * segment it closed is in the archive of every destination: proof that
 * archive_command really reaches the archive with this plan, not only that
 * it is set. Costs one WAL segment in the archive.
 */
async function walArrives(ctx: DoctorContext<PostgresConfig>, target: ReturnType<typeof pgTarget>): Promise<DoctorCheck> {
  const { component } = ctx;
  const check = `wal switch ${component}`;
  let file: string;
  let systemIdentifier: string;
  const client = await connect(target);
  try {
    // A transaction id costs a commit record: WAL, so the switch closes a new segment even on an idle server.
    await client.query('SELECT pg_current_xact_id()');
    const row = (
      await client.query<{ file: string; sysid: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file, (SELECT system_identifier::text FROM pg_control_system()) AS sysid')
    ).rows[0]!;
    ({ file, sysid: systemIdentifier } = row);
  } catch (err) {
    return { level: 'warning', check, detail: `cannot force a WAL switch as ${target.user} (${describeError(err)}), so arrival in the archive is not proven; GRANT EXECUTE ON FUNCTION pg_switch_wal() TO ${target.user}` };
  } finally {
    await client.end().catch(() => undefined);
  }
  const key = entryKey(component, systemIdentifier, file.slice(0, 8), file);
  const repositories = ctx.config.destinations.map((d) => ctx.engine.registry.repository(ctx.engine.plan, d));
  const started = Date.now();
  for (;;) {
    const missing: string[] = [];
    for (const repository of repositories) if (!(await repository.answered(repository.adapter.head(key)))) missing.push(repository.name);
    if (missing.length === 0) return { level: 'ok', check, detail: `pg_switch_wal() closed ${file}; it was in the archive of ${repositories.map((r) => r.name).join(', ')} within ${Date.now() - started} ms` };
    if (Date.now() - started > WAL_ARRIVAL_MS) {
      return {
        level: 'critical',
        check,
        detail: `${file}, closed by pg_switch_wal(), did not reach the archive in ${missing.join(', ')} within ${WAL_ARRIVAL_MS / 1000} s; the server's log shows what lifeboat wal push said (can its OS user read the plan and write the destinations?)`,
      };
    }
    await sleep(WAL_POLL_MS, undefined, { signal: ctx.signal });
  }
}
