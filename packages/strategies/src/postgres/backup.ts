import { LifeboatError, ReadBackUnavailableError, formatBytes, spawnSource, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { pipeline, type Readable } from 'node:stream';
import { ARTIFACT } from './artifact.js';
import { takeBaseBackup } from './base-backup.js';
import { checkCustom, checkPlain } from './check.js';
import type { PostgresConfig } from './config.js';
import { connect, connectionError, pgTarget, type PgTarget } from './connection.js';
import { DumpRowCounter } from './dump-rows.js';
import { assertTablesExist, collectFacts, exactCounts, streamCountable } from './facts.js';
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
    // Row counts from the dump stream itself (custom format): the COPY text of each
    // verified table is counted as it passes to storage, on libuv's zlib threads,
    // instead of a count(*) on the server competing with pg_dump for the CPUs.
    const streamable = config.format === 'custom' ? await streamCountable(client, config.verify.tables) : new Map<string, string>();
    ctx.step(`pg_dump ${dumpMajor} of ${target.display} (${config.format} format, database ${formatBytes(facts.databaseBytes)})`);

    // A dropped connection kills the snapshot's transaction; pg_dump then fails too.
    let lost: Error | undefined;
    client.on('error', (err) => {
      lost = connectionError(err, target);
    });
    const dump = spawnSource(toolPath('pg_dump', config.binDir), args, { env, signal: ctx.signal });
    const name = ARTIFACT[config.format];
    const counter = streamable.size ? new DumpRowCounter(new Set(streamable.values())) : undefined;
    let body: Readable = dump;
    if (counter) {
      // pipeline: pg_dump's failure fails the stored stream, and a store that stops early stops pg_dump.
      body = pipeline(dump, counter.observe(), () => undefined);
    }
    const dumpStarted = Date.now();
    const artifact = await ctx
      .storeArtifact(name, body, {
        format: config.format === 'custom' ? 'pg_dump custom archive (pg_restore)' : 'pg_dump plain SQL (psql)',
        compress: config.format === 'plain',
        expectedBytes: undefined,
      })
      .catch((err: unknown) => {
        counter?.abandon('the dump was not stored');
        throw err;
      });
    const dumpSeconds = (Date.now() - dumpStarted) / 1000;
    if (lost) throw lost;
    // Whatever the stream did not count (another archive version, a table with
    // child tables, an excluded one) is counted on the server, still in the
    // dump's snapshot, now that pg_dump no longer needs the CPUs.
    const fromStream = counter ? await counter.result() : { counts: new Map<string, number>() };
    const counts: Record<string, number> = {};
    const onServer: string[] = [];
    for (const table of config.verify.tables) {
      const n = fromStream.counts.get(streamable.get(table) ?? '');
      if (n === undefined) onServer.push(table);
      else counts[table] = n;
    }
    const countStarted = Date.now();
    Object.assign(counts, await exactCounts(client, onServer, facts.database));
    const countSeconds = (Date.now() - countStarted) / 1000;
    // Fail closed: every verified table has an exact count, from one path or the other.
    const missing = config.verify.tables.filter((table) => !Number.isSafeInteger(counts[table]));
    if (missing.length) throw new LifeboatError(`no exact row count of ${missing.join(', ')} in the dump's snapshot; the backup is not committed`);
    facts.tables = Object.fromEntries(config.verify.tables.map((table) => [table, counts[table]!]));
    // Step timings (bench/pg.mjs reads them).
    const streamed = config.verify.tables.length - onServer.length;
    const why = fromStream.reason ? ` (the dump stream was not read: ${fromStream.reason})` : '';
    ctx.step(
      `row counts of ${config.verify.tables.length} table(s) in the dump's snapshot: ${streamed} counted from the dump stream while pg_dump's dump took ${dumpSeconds.toFixed(2)} s to stream and store, ${onServer.length} counted on the server after it in ${countSeconds.toFixed(2)} s${why}`,
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
