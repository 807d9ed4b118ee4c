import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LifeboatError, UsageError, isSecretRef, spawnSink, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import type pg from 'pg';
import { ARTIFACT } from './backup.js';
import type { PostgresConfig } from './config.js';
import { connect, pgTarget, quoteIdent, withDatabase, type PgTarget } from './connection.js';
import { exactCounts, userRelationCount } from './facts.js';
import { toolPath } from './tools.js';

/**
 * Restores into the database named by --to: creates it when missing, refuses
 * one that holds anything unless --clean --yes (then drops and recreates it),
 * restores, then compares the exact row counts recorded at backup time.
 */
export async function restorePostgres(ctx: RestoreContext<PostgresConfig>): Promise<RestoreOutcome> {
  const { config, request, manifest } = ctx;
  const target = await resolveTarget(ctx);
  const env = { ...ctx.env, ...target.childEnv };
  const facts = manifest.facts as { format?: 'custom' | 'plain'; tables?: Record<string, number>; encoding?: string };
  const format = facts.format ?? (manifest.artifacts.some((a) => a.name === ARTIFACT.plain) ? 'plain' : 'custom');

  await prepareDatabase(ctx, target, facts.encoding);

  const jobs = request.jobs ?? config.jobs;
  const name = ARTIFACT[format];
  if (format === 'custom' && jobs > 1) {
    // Parallel pg_restore needs a seekable file: spool it, verified, then restore.
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-restore-'));
    try {
      const file = join(dir, name);
      ctx.step(`downloading and verifying ${name}`);
      await ctx.download(name, file);
      ctx.step(`pg_restore --jobs=${jobs} into ${target.display}`);
      const restore = spawnSink(toolPath('pg_restore', config.binDir), ['--exit-on-error', '--no-password', `--jobs=${jobs}`, `--dbname=${target.database}`, file], { env, signal: ctx.signal });
      restore.stdin.end();
      await restore.done;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } else {
    const [tool, args] =
      format === 'custom'
        ? (['pg_restore', ['--exit-on-error', '--no-password', '--single-transaction', `--dbname=${target.database}`]] as const)
        : (['psql', ['--no-psqlrc', '--quiet', '--no-password', '--single-transaction', '--set=ON_ERROR_STOP=1', `--dbname=${target.database}`]] as const);
    ctx.step(`${tool} (single transaction) into ${target.display}`);
    await streamInto(await ctx.open(name), spawnSink(toolPath(tool, config.binDir), [...args], { env, signal: ctx.signal }));
  }

  ctx.step('comparing row counts with the backup');
  const checks = await compareCounts(target, facts.tables ?? {});
  return { target: target.display, checks };
}

async function resolveTarget(ctx: RestoreContext<PostgresConfig>): Promise<PgTarget> {
  const raw = ctx.request.target;
  if (!raw) throw new UsageError('restore of a postgres component needs --to <postgres URL | env:NAME>');
  if (!isSecretRef(raw) && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(raw)) {
    throw new UsageError('--to holds a password, which would show in the process list; put the URL in an environment variable and pass --to env:NAME');
  }
  const url = await ctx.secrets.resolve(raw, '--to');
  return pgTarget(url, '--to');
}

/** What the target database holds now: missing, empty, or `relations` tables, views or sequences. */
async function inspectTarget(admin: pg.Client, target: PgTarget): Promise<{ exists: boolean; relations: number }> {
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database])).rowCount! > 0;
  if (!exists) return { exists, relations: 0 };
  const db = await connect(target);
  try {
    return { exists, relations: await userRelationCount(db) };
  } finally {
    await db.end();
  }
}

/** A target that holds anything needs --clean --yes; refused before any hook stops a service. */
function refuseUnconfirmed(request: RestoreContext<PostgresConfig>['request'], target: PgTarget, relations: number): void {
  if (relations === 0) return;
  if (!request.clean) {
    throw new UsageError(
      `database ${target.database} on ${target.host}:${target.port} already holds ${relations} tables, views or sequences; pass --clean --yes to drop and recreate it`,
    );
  }
  if (!request.yes) {
    throw new UsageError(`--clean drops database ${target.database} on ${target.host}:${target.port} and everything in it; add --yes to confirm`);
  }
}

/** Runs before the plan's beforeRestore hooks: a bad --to or a missing --yes changes nothing. */
export async function preflightPostgres(ctx: RestoreContext<PostgresConfig>): Promise<void> {
  const target = await resolveTarget(ctx);
  const admin = await connect(withDatabase(target, 'postgres'));
  try {
    refuseUnconfirmed(ctx.request, target, (await inspectTarget(admin, target)).relations);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function prepareDatabase(ctx: RestoreContext<PostgresConfig>, target: PgTarget, encoding: string | undefined): Promise<void> {
  const admin = await connect(withDatabase(target, 'postgres'));
  try {
    const { exists, relations } = await inspectTarget(admin, target);
    refuseUnconfirmed(ctx.request, target, relations);
    if (exists && relations === 0) return;
    if (exists) {
      const others = await admin.query<{ n: string }>('SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [target.database]);
      const sessions = Number(others.rows[0]!.n);
      if (sessions > 0) {
        throw new LifeboatError(
          `${sessions} other session(s) are connected to ${target.database}; stop the services that use it (hooks.beforeRestore) and try again`,
        );
      }
      ctx.step(`dropping database ${target.database}`);
      await admin.query(`DROP DATABASE ${quoteIdent(target.database)}`);
    }
    ctx.step(`creating database ${target.database}`);
    const enc = encoding && /^[A-Za-z0-9_]+$/.test(encoding) ? ` ENCODING '${encoding}'` : '';
    await admin.query(`CREATE DATABASE ${quoteIdent(target.database)} TEMPLATE template0${enc}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Feeds verified content to a single-transaction restore and ends its input
 * only after the content ended cleanly: a damaged artifact kills the child
 * before COMMIT, so the target is left as it was.
 */
async function streamInto(content: Readable, sink: ReturnType<typeof spawnSink>): Promise<void> {
  const fed = new Promise<void>((resolve, reject) => {
    content.on('error', (err) => {
      sink.kill();
      reject(err);
    });
    content.on('end', () => {
      sink.stdin.end();
      resolve();
    });
    content.pipe(sink.stdin as NodeJS.WritableStream, { end: false });
  });
  const [fedResult, doneResult] = await Promise.allSettled([fed, sink.done]);
  if (fedResult.status === 'rejected') throw fedResult.reason;
  if (doneResult.status === 'rejected') throw doneResult.reason;
}

async function compareCounts(target: PgTarget, expected: Record<string, number>): Promise<RestoreCheck[]> {
  const tables = Object.keys(expected);
  if (tables.length === 0) return [];
  const client = await connect(target);
  try {
    const actual = await exactCounts(client, tables, target.database);
    return tables.map((table) => ({ name: `rows in ${table}`, expected: expected[table]!, actual: actual[table]!, ok: expected[table] === actual[table] }));
  } finally {
    await client.end().catch(() => undefined);
  }
}
