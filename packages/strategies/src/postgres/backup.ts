import { ReadBackUnavailableError, formatBytes, spawnSource, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { ARTIFACT } from './artifact.js';
import { takeBaseBackup } from './base-backup.js';
import { checkCustom, checkPlain } from './check.js';
import type { PostgresConfig } from './config.js';
import { connect, connectionError, pgTarget, type PgTarget } from './connection.js';
import { assertTablesExist, collectFacts, exactCounts } from './facts.js';
import { checkDumpVersion, serverMajor, toolMajor, toolPath } from './tools.js';

/**
 * pg_dump in an exported snapshot: the row counts recorded in the manifest are
 * those of the very snapshot that was dumped, even while the application writes.
 */
export async function backupPostgres(ctx: BackupContext<PostgresConfig>): Promise<SourceFacts> {
  const { config } = ctx;
  const url = await ctx.secrets.resolve(config.url, `components.${ctx.component}.url`);
  const target = pgTarget(url, `components.${ctx.component}.url`);
  const env = { ...ctx.env, ...target.childEnv };
  if (!config.pitr) return dumpPostgres(ctx, target, env);
  // pitr: the base backup (restore to a point starts from it), then the dump too unless pitr.dump is false.
  const baseBackup = await takeBaseBackup(ctx, target, env);
  if (!config.pitr.dump) return { baseBackup, serverVersion: baseBackup.serverVersion, serverVersionNum: baseBackup.serverVersionNum };
  return { ...(await dumpPostgres(ctx, target, env)), baseBackup };
}

async function dumpPostgres(ctx: BackupContext<PostgresConfig>, target: PgTarget, env: Record<string, string | undefined>): Promise<SourceFacts> {
  const { config } = ctx;

  ctx.step(`connecting to ${target.display}`);
  const client = await connect(target);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const facts = await collectFacts(client, []);
    await assertTablesExist(client, config.verify.tables, facts.database);
    const dumpMajor = await toolMajor('pg_dump', config.binDir, env);
    checkDumpVersion(dumpMajor, facts.serverVersion, serverMajor(facts.serverVersionNum), config.binDir);

    const args = [`--format=${config.format}`, `--snapshot=${snapshot}`, '--no-password'];
    for (const schema of config.schemas) args.push(`--schema=${schema}`);
    for (const table of config.excludeTables) args.push(`--exclude-table=${table}`);
    ctx.step(`pg_dump ${dumpMajor} of ${target.display} (${config.format} format, database ${formatBytes(facts.databaseBytes)})`);

    // A dropped connection kills the snapshot's transaction; pg_dump then fails too.
    let lost: Error | undefined;
    client.on('error', (err) => {
      lost = connectionError(err, target);
    });
    const dump = spawnSource(toolPath('pg_dump', config.binDir), args, { env, signal: ctx.signal });
    const name = ARTIFACT[config.format];
    // The exact counts run in the snapshot's own transaction while pg_dump reads
    // the same snapshot on its connection: same figures, no added wall time.
    const dumpStarted = Date.now();
    let countSeconds = 0;
    const counting = exactCounts(client, config.verify.tables, facts.database).finally(() => (countSeconds = (Date.now() - dumpStarted) / 1000));
    const storing = ctx.storeArtifact(name, dump, {
      format: config.format === 'custom' ? 'pg_dump custom archive (pg_restore)' : 'pg_dump plain SQL (psql)',
      compress: config.format === 'plain',
      expectedBytes: undefined,
    });
    // Both settle before anything is thrown: a failure must not leave the other writing.
    const [counted, stored] = await Promise.allSettled([counting, storing]);
    if (stored.status === 'rejected') throw stored.reason;
    if (counted.status === 'rejected') throw counted.reason;
    const artifact = stored.value;
    facts.tables = counted.value;
    // Step timings (bench/pg.mjs reads them): the counts share the CPUs with pg_dump.
    ctx.step(
      `row counts of ${config.verify.tables.length} table(s) in the dump's snapshot took ${countSeconds.toFixed(2)} s, alongside pg_dump, whose dump took ${((Date.now() - dumpStarted) / 1000).toFixed(2)} s to stream and store`,
    );
    if (lost) throw lost;
    await client.query('COMMIT');

    ctx.step(`checking ${name} as read back from the first destination`);
    const open = (artifact: string) => ctx.readArtifact(artifact);
    const base = { ...facts, pgDumpMajor: dumpMajor, format: config.format };
    try {
      if (config.format === 'custom') {
        const tocEntries = await checkCustom(open, name, { env, binDir: config.binDir, signal: ctx.signal });
        ctx.step(`${name}: ${formatBytes(artifact.bytes)}, ${tocEntries} archive entries, sha256 re-read ok`);
        return { ...base, tocEntries };
      }
      await checkPlain(open, name);
      ctx.step(`${name}: ${formatBytes(artifact.bytes)}, complete SQL, sha256 re-read ok`);
    } catch (err) {
      if (!(err instanceof ReadBackUnavailableError)) throw err;
      ctx.step(`${artifact.name}: ${formatBytes(artifact.bytes)}; structure not re-read (${err.message}); verify --deep checks it where the identity is`);
    }
    return base;
  } finally {
    await client.end().catch(() => undefined);
  }
}
