import { LifeboatError, formatBytes, runCommand, spawnSource, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { PassThrough, type Readable } from 'node:stream';
import type { PostgresConfig } from './config.js';
import { connect, connectionError, pgTarget } from './connection.js';
import { collectFacts } from './facts.js';
import { checkDumpVersion, serverMajor, toolMajor, toolPath } from './tools.js';

export const ARTIFACT = { custom: 'database.dump', plain: 'database.sql.gz' } as const;
const PLAIN_TRAILER = '-- PostgreSQL database dump complete';

/**
 * pg_dump in an exported snapshot: the row counts recorded in the manifest are
 * those of the very snapshot that was dumped, even while the application writes.
 */
export async function backupPostgres(ctx: BackupContext<PostgresConfig>): Promise<SourceFacts> {
  const { config } = ctx;
  const url = await ctx.secrets.resolve(config.url, `components.${ctx.component}.url`);
  const target = pgTarget(url, `components.${ctx.component}.url`);
  const env = { ...ctx.env, ...target.childEnv };

  ctx.step(`connecting to ${target.display}`);
  const client = await connect(target);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const facts = await collectFacts(client, config.verify.tables);
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
    const artifact = await ctx.storeArtifact(name, dump, {
      format: config.format === 'custom' ? 'pg_dump custom archive (pg_restore)' : 'pg_dump plain SQL (psql)',
      compress: config.format === 'plain',
      expectedBytes: undefined,
    });
    if (lost) throw lost;
    await client.query('COMMIT');

    ctx.step(`checking ${name} as read back from the first destination`);
    if (config.format === 'custom') {
      const tocEntries = await checkCustom(ctx, name, env, config);
      ctx.step(`${name}: ${formatBytes(artifact.bytes)}, ${tocEntries} archive entries, sha256 re-read ok`);
      return { ...facts, pgDumpMajor: dumpMajor, format: config.format, tocEntries };
    }
    await checkPlain(ctx, name);
    ctx.step(`${name}: ${formatBytes(artifact.bytes)}, complete SQL, sha256 re-read ok`);
    return { ...facts, pgDumpMajor: dumpMajor, format: config.format };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `pg_restore --list` reads the archive's table of contents; the rest of the
 * stream is still read to the end so its sha256 is checked as stored.
 */
async function checkCustom(ctx: BackupContext<PostgresConfig>, name: string, env: Record<string, string | undefined>, config: PostgresConfig): Promise<number> {
  const content = await ctx.readArtifact(name);
  const toc = new PassThrough();
  let tocOpen = true;
  toc.on('close', () => (tocOpen = false));
  const drained = new Promise<void>((resolve, reject) => {
    content.on('data', (chunk: Buffer) => {
      if (tocOpen && !toc.write(chunk)) {
        content.pause();
        toc.once('drain', () => content.resume());
        toc.once('close', () => content.resume());
      }
    });
    content.once('end', () => {
      toc.end();
      resolve();
    });
    content.once('error', (err) => {
      toc.destroy();
      reject(err);
    });
  });
  const listing = runCommand(toolPath('pg_restore', config.binDir), ['--list'], { env, input: toc, signal: ctx.signal }).finally(() => toc.destroy());
  const [{ stdout }] = await Promise.all([listing, drained]);
  const entries = stdout.split('\n').filter((line) => /^\d+;/.test(line)).length;
  if (entries === 0) throw new LifeboatError(`pg_restore --list found no entries in ${name}; the dump is not usable`);
  return entries;
}

/** A plain dump is complete only if it ends with pg_dump's closing comment. */
async function checkPlain(ctx: BackupContext<PostgresConfig>, name: string): Promise<void> {
  const content: Readable = await ctx.readArtifact(name);
  let tail = '';
  for await (const chunk of content) tail = (tail + (chunk as Buffer).toString('utf8')).slice(-256);
  if (!tail.includes(PLAIN_TRAILER)) throw new LifeboatError(`${name} does not end with pg_dump's completion line; the dump is truncated`);
}
