import { UsageError, isSecretRef, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT } from '../artifact.js';
import type { PostgresConfig } from '../config.js';
import { connect, pgTarget, quoteIdent, quoteQualified, type PgTarget } from '../connection.js';
import { compareTables, copyMissingRows, type TableReport } from './compare.js';
import { columnsOf, copyIntoLive, primaryKeyOf, type SourceTable } from './live-copy.js';
import { hasCustomDump, restoredSchemaName, tableRequest, type TableName, type TableRequest } from './request.js';
import { sourceTarget, tableSourceFromDump, tocEntries, tocOf, type TableSource } from './source.js';
import { tablePointOf, tableSourceFromRecovery } from './recovered.js';
import { preflightPoint } from '../point-restore.js';

export { pickTableBackup, tableRequest } from './request.js';
export { tablePointOf } from './recovered.js';
export type { TableSource } from './source.js';
export type { TableReport } from './compare.js';

/**
 * Where the restored tables come from for this request: with `--as-of` on a
 * component with `pitr:`, a throwaway server recovered by PITR to that time
 * (base backup + WAL); else a throwaway server loaded from the proven dump
 * (downloaded into `work`).
 */
export type OpenTableSource = (ctx: RestoreContext<PostgresConfig>, request: TableRequest, work: string) => Promise<TableSource>;

export const openTableSource: OpenTableSource = async (ctx, request, work) => {
  const point = recoveredSource(ctx, request);
  if (point) return tableSourceFromRecovery(ctx, request.tables, point);
  const file = join(work, ARTIFACT.custom);
  await ctx.download(ARTIFACT.custom, file);
  return tableSourceFromDump(ctx, request.tables, file, await tocOf(ctx, file), work);
};

/** The time to recover to when the tables come from PITR (the chosen backup is then a base backup); undefined for the dump. */
function recoveredSource(ctx: RestoreContext<PostgresConfig>, request: TableRequest) {
  return ctx.manifest.facts.baseBackup ? tablePointOf(ctx.config, ctx.request, request) : undefined;
}

async function liveTarget(ctx: RestoreContext<PostgresConfig>, into: string): Promise<PgTarget> {
  if (!isSecretRef(into) && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(into)) {
    throw new UsageError('--into holds a password, which would show in the process list; put the URL in an environment variable and pass --into env:NAME');
  }
  return pgTarget(await ctx.secrets.resolve(into, '--into'), '--into');
}

/**
 * Before anything is read: the request is whole, the backup has a
 * custom-format dump, the live database answers, and — with
 * --copy-missing-rows — every live table exists and has a primary key.
 */
export async function preflightTables(ctx: RestoreContext<PostgresConfig>, request: TableRequest): Promise<void> {
  const point = recoveredSource(ctx, request);
  if (point) {
    // The server binaries and their version, before anything is read (the tables are looked for on the recovered server).
    await preflightPoint(ctx, { target: point, into: { kind: 'ephemeral', keep: false } });
  } else if (!hasCustomDump(ctx.manifest)) {
    const facts = ctx.manifest.facts as { format?: string };
    throw new UsageError(
      `a table-level restore reads a custom-format dump (pg_restore); backup ${ctx.manifest.id} has ${facts.format === 'plain' ? 'a plain SQL dump (format: plain)' : 'no dump (pitr.dump: false)'}`,
    );
  }
  const live = await liveTarget(ctx, request.into);
  const client = await connect(live);
  try {
    if (!request.copyMissingRows) return;
    for (const table of request.tables) {
      const name = quoteQualified(table.display);
      if ((await columnsOf(client, name)).length === 0) {
        throw new UsageError(
          `--copy-missing-rows: ${table.display} no longer exists in ${live.display}; restore without --copy-missing-rows and move the restored copy in (the report shows the ALTER TABLE … SET SCHEMA line)`,
        );
      }
      if ((await primaryKeyOf(client, name)).length === 0) {
        throw new UsageError(`--copy-missing-rows: ${table.display} in ${live.display} has no primary key, so the missing rows cannot be told apart; nothing was copied`);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** After the copy is proven, before any server starts: every table is in the dump (`pg_restore --list`). */
export async function reviewTables(ctx: RestoreContext<PostgresConfig>, request: TableRequest): Promise<void> {
  // From PITR: no dump to list; the recovered server is asked instead (tableSourceFromRecovery).
  if (recoveredSource(ctx, request)) return;
  await withDump(ctx, async (dump) => {
    const missing = request.tables.filter((t) => tocEntries(dump.toc, 'TABLE', t).length === 0);
    if (missing.length > 0) {
      throw new UsageError(`backup ${ctx.manifest.id} holds no table ${missing.map((t) => t.display).join(', ')} (pg_restore --list); nothing was restored`);
    }
  });
}

/** The proven dump as a local file (a hard link into the spool) and its table of contents, removed afterwards. */
async function withDump<T>(ctx: RestoreContext<PostgresConfig>, use: (dump: { file: string; toc: string[] }) => Promise<T>): Promise<T> {
  return withWork(async (work) => {
    const file = join(work, ARTIFACT.custom);
    await ctx.download(ARTIFACT.custom, file);
    return use({ file, toc: await tocOf(ctx, file) });
  });
}

/** A private scratch folder, removed afterwards. */
async function withWork<T>(use: (work: string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-tables-'));
  try {
    return await use(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Table-level restore: the chosen tables from the backup into a source
 * server, copied into a new schema of the live database, compared there with
 * the live tables by primary key; with --copy-missing-rows, the rows the live
 * tables lack are inserted in one transaction. Live rows are never changed.
 */
export async function restoreTables(ctx: RestoreContext<PostgresConfig>, request: TableRequest): Promise<RestoreOutcome> {
  const live = await liveTarget(ctx, request.into);
  const schema = await freeSchemaName(live, restoredSchemaName(ctx.manifest, request.asOf));
  let from = '';
  const reports = await withWork(async (work) => {
    const source = await openTableSource(ctx, request, work);
    from = source.description;
    try {
      const tables = await describeSource(source, request.tables);
      await copyIntoLive(ctx, sourceTarget(source), live, tables, schema);
    } finally {
      ctx.step(`stopping ${source.description}`);
      await source.stop();
    }
    const client = await connect(live);
    // Cancelling the run ends the connection: a running comparison or INSERT fails (and rolls back) at once.
    const cancel = () => void client.end().catch(() => undefined);
    ctx.signal.addEventListener('abort', cancel, { once: true });
    try {
      ctx.step(`comparing ${request.tables.map((t) => `${schema}.${t.name} with ${t.display}`).join(', ')} by primary key`);
      const { reports, matches } = await compareTables(client, request.tables, schema);
      if (request.copyMissingRows) {
        ctx.step(`inserting the missing rows into ${[...matches.keys()].join(', ')} (one transaction)`);
        await copyMissingRows(client, reports, matches);
      }
      return reports;
    } finally {
      ctx.signal.removeEventListener('abort', cancel);
      await client.end().catch(() => undefined);
    }
  });
  const recovered = recoveredSource(ctx, request) !== undefined;
  const source = { kind: recovered ? 'pitr' : 'dump', description: from };
  const data = { backupId: ctx.manifest.id, ...(request.asOf ? { asOf: request.asOf.toISOString() } : {}), source, into: live.display, schema, copied: request.copyMissingRows, tables: reports };
  // The backup's recorded row counts are of its own time, not of --as-of: compared only for a dump.
  const checks = recovered ? [] : countChecks(ctx, reports);
  return { target: `${live.display} (schema ${schema})`, checks, report: { lines: [`source: ${from}`, ...reportLines(schema, reports, request.copyMissingRows)], data } };
}

/** The tables' columns and keys as the source has them. */
async function describeSource(source: TableSource, tables: readonly TableName[]): Promise<SourceTable[]> {
  const client = await connect(sourceTarget(source));
  try {
    // An empty search_path makes format_type name every type with its schema, as the live database must find it.
    await client.query("SET search_path = ''");
    const out: SourceTable[] = [];
    for (const table of tables) {
      const name = quoteQualified(table.display);
      out.push({ table, columns: await columnsOf(client, name), primaryKey: await primaryKeyOf(client, name) });
    }
    return out;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The name, or with `_2`, `_3`… when an earlier restore of the same time left its schema. */
async function freeSchemaName(live: PgTarget, base: string): Promise<string> {
  const client = await connect(live);
  try {
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}_${n}`;
      const taken = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name]);
      if (taken.rowCount === 0) return name;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The restored copies hold the row counts the backup recorded (verify.tables). */
function countChecks(ctx: RestoreContext<PostgresConfig>, reports: TableReport[]): RestoreCheck[] {
  const recorded = (ctx.manifest.facts as { tables?: Record<string, number> }).tables ?? {};
  return reports.flatMap((r) => {
    const expected = recorded[r.table] ?? (r.table.startsWith('public.') ? recorded[r.table.slice('public.'.length)] : undefined);
    return expected === undefined ? [] : [{ name: `rows in ${r.restoredAs}`, expected, actual: r.restoredRows, ok: expected === r.restoredRows }];
  });
}

/** What the runner prints and the TUI shows, one table after another. */
export function reportLines(schema: string, reports: TableReport[], copied: boolean): string[] {
  const lines = [`restored into schema ${schema} of the live database (drop it when done: DROP SCHEMA ${quoteIdent(schema)} CASCADE)`];
  for (const r of reports) {
    lines.push(`${r.table} → ${r.restoredAs}: ${r.restoredRows} rows restored${r.liveRows !== undefined ? `, ${r.liveRows} live` : ''}`);
    if (r.missingFromLive !== undefined) {
      lines.push(`  ${r.missingFromLive} rows in the restored copy are missing from the live table (by ${r.primaryKey!.join(', ')})`);
      lines.push(`  ${r.onlyInLive} rows in the live table are not in the restored copy`);
      if (r.differing) lines.push(`  ${r.differing} rows are in both but differ (the live rows are kept as they are)`);
    }
    if (r.inserted !== undefined) lines.push(`  inserted ${r.inserted} rows into ${r.table}`);
    for (const s of r.sequences ?? []) {
      lines.push(
        `  restored ${s.column} values go up to ${s.restoredMax}, beyond its sequence ${s.sequence} (last value ${s.lastValue}); it was left as it is: new rows may collide — SELECT setval('${s.sequence}', ${s.restoredMax});`,
      );
    }
    if (r.note) lines.push(`  ${r.note}`);
  }
  if (!copied && reports.some((r) => (r.missingFromLive ?? 0) > 0)) lines.push('to insert the missing rows: run again with --copy-missing-rows --yes');
  return lines;
}
