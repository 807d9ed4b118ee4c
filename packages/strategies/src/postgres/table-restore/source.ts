import { LifeboatError, describeError, runCommand, type RestoreContext } from '@lifeboat/core';
import { startEphemeralPostgres } from '@lifeboat/ephemeral';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PostgresConfig } from '../config.js';
import { connect, pgTarget, quoteIdent, quoteQualified, type PgTarget } from '../connection.js';
import { toolPath } from '../tools.js';
import type { TableName } from './request.js';

/**
 * Where the restored tables are read from: a running PostgreSQL holding them
 * under their original names, as they were at the chosen time. Today a
 * throwaway server loaded from the dump (`tableSourceFromDump`); a server
 * recovered by PITR to just before the deletion fits the same shape. Only
 * read from (catalog queries and COPY … TO STDOUT), so a paused recovery works.
 */
export interface TableSource {
  /** `postgres://user@host:port/database` without the password. */
  url: string;
  /** PGPASSWORD (and any other PG* variable) for connecting to `url`. */
  env: Record<string, string>;
  /** For messages: `a throwaway PostgreSQL 15.18 loaded from backup ID`. */
  description: string;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** The source as a connection target (the password travels in childEnv, never in argv or messages). */
export function sourceTarget(source: TableSource): PgTarget {
  const url = new URL(source.url.replace(/^postgres(ql)?:/, 'http:'));
  if (source.env.PGPASSWORD !== undefined) url.password = encodeURIComponent(source.env.PGPASSWORD);
  return pgTarget(url.toString().replace(/^http:/, 'postgres:'), 'the restored tables’ source');
}

/** A dump's table of contents, as `pg_restore --list` prints it. */
export async function tocOf(ctx: RestoreContext<PostgresConfig>, file: string): Promise<string[]> {
  const { stdout } = await runCommand(toolPath('pg_restore', ctx.config.binDir), ['--list', file], { env: ctx.env, signal: ctx.signal });
  return stdout.split('\n').filter((line) => /^\d+;/.test(line));
}

/** The TOC lines of one kind (`TABLE`, `TABLE DATA`, `CONSTRAINT`) for a table: `218; 1259 16386 TABLE public users owner`. */
export function tocEntries(toc: readonly string[], kind: string, table: TableName): string[] {
  // The tag of a constraint is `<table> <constraint>`; of a table or its data, the table's name.
  const head = `${kind} ${table.schema} ${table.name}`;
  return toc.filter((line) => {
    const rest = line.replace(/^\d+; \d+ \d+ /, '');
    return rest === head || rest.startsWith(`${head} `);
  });
}

/**
 * Starts a throwaway PostgreSQL and loads the chosen tables from the dump:
 * every definition (pre-data, so the tables' types, domains and sequences
 * exist), then only these tables' rows and their primary key / unique
 * constraints. Foreign keys, indexes and triggers are not loaded: they would
 * need the other tables.
 */
export async function tableSourceFromDump(ctx: RestoreContext<PostgresConfig>, tables: readonly TableName[], dump: string, toc: readonly string[], work: string): Promise<TableSource> {
  ctx.step('starting a throwaway PostgreSQL to restore the tables into');
  const server = await startEphemeralPostgres({ binDir: ctx.config.binDir, path: ctx.env.PATH });
  try {
    const facts = ctx.manifest.facts as { encoding?: string };
    const database = 'lifeboat_restored';
    const admin = await connect(pgTarget(`postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres`, 'throwaway server'));
    try {
      const enc = facts.encoding && /^[A-Za-z0-9_]+$/.test(facts.encoding) ? ` ENCODING '${facts.encoding}'` : '';
      await admin.query(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0${enc}`);
    } finally {
      await admin.end().catch(() => undefined);
    }
    const source: TableSource = {
      url: `postgres://postgres@127.0.0.1:${server.port}/${database}`,
      env: { ...server.env, PGDATABASE: database },
      description: `a throwaway PostgreSQL ${server.version} loaded from backup ${ctx.manifest.id}`,
      stop: () => server.stop(),
    };
    const target = sourceTarget(source);
    const env = { ...ctx.env, ...target.childEnv };
    const pgRestore = toolPath('pg_restore', ctx.config.binDir);
    const common = ['--no-owner', '--no-privileges', '--no-password', `--dbname=${database}`];

    // Every definition; what fails here (an extension this host lacks) matters only if the chosen tables are missing afterwards.
    ctx.step(`pg_restore --section=pre-data (definitions) into ${source.description}`);
    let preData: string | undefined;
    await runCommand(pgRestore, [...common, '--section=pre-data', dump], { env, signal: ctx.signal }).catch((err: unknown) => {
      if (ctx.signal.aborted) throw err;
      preData = describeError(err);
    });
    const client = await connect(target);
    try {
      for (const table of tables) {
        const found = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [quoteQualified(table.display)]);
        if (!found.rows[0]?.ok) {
          throw new LifeboatError(`the definition of ${table.display} could not be restored from backup ${ctx.manifest.id}${preData ? `: ${preData}` : ''}`);
        }
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    if (preData) ctx.warn(`some definitions of the dump could not be restored on the throwaway server (the chosen tables were): ${preData}`);

    // Rows first, then the keys (pg_restore -L keeps the list's order).
    const list = join(work, 'tables.list');
    const lines = [...tables.flatMap((t) => tocEntries(toc, 'TABLE DATA', t)), ...tables.flatMap((t) => tocEntries(toc, 'CONSTRAINT', t))];
    await writeFile(list, lines.join('\n') + '\n', { mode: 0o600 });
    ctx.step(`pg_restore --use-list (rows and keys of ${tables.map((t) => t.display).join(', ')})`);
    await runCommand(pgRestore, [...common, '--exit-on-error', '--single-transaction', `--use-list=${list}`, dump], { env, signal: ctx.signal });
    return source;
  } catch (err) {
    await server.stop();
    throw err;
  }
}
