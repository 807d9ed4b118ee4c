import { UsageError, flagOf, type Manifest, type RestoreRequest } from '@lifeboat/core';
import type { PostgresRestoreOptions } from '../restore-surface.js';

/** A table as `--table` names it: `schema.table` (exact names, split at the first dot), or `table` in `public`. */
export interface TableName {
  schema: string;
  name: string;
  /** `schema.table`, for messages and reports. */
  display: string;
}

/** What a table-level restore was asked for (`--table …`), checked. */
export interface TableRequest {
  tables: TableName[];
  /** `--into` as typed: the live database (env:NAME, file:/path). */
  into: string;
  asOf?: Date;
  copyMissingRows: boolean;
}

const ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** `2026-02-14T12:00:00Z`, `2026-02-14 12:00:00+00`: a moment, which needs a zone (a bare local time is refused). */
export function parseAsOf(text: string): Date {
  const trimmed = text.trim();
  const expected = 'a date and time with a zone, such as 2026-02-14T12:00:00Z or "2026-02-14 12:00:00+00"';
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/i.test(trimmed) || !ZONE.test(trimmed)) {
    throw new UsageError(`--as-of "${text}" has no time zone; expected ${expected}`);
  }
  // Date.parse reads ISO 8601 only: a space for T, and +00 / +0000 as +00:00.
  const iso = trimmed.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})?$/, (_m, h: string, m?: string) => `${h}:${m ?? '00'}`);
  const at = Date.parse(iso);
  // Date.parse rolls 2026-02-31 over into March; a day the month does not have is a typo.
  const [y, m, d] = trimmed.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (Number.isNaN(at) || new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) throw new UsageError(`--as-of "${text}" is not a valid time; expected ${expected}`);
  return new Date(at);
}

export function parseTableName(text: string): TableName {
  const dot = text.indexOf('.');
  const [schema, name] = dot === -1 ? ['public', text] : [text.slice(0, dot), text.slice(dot + 1)];
  if (!schema || !name || /[\0\n]/.test(text)) {
    throw new UsageError(`--table "${text}" is not a table name; expected schema.table such as public.users`);
  }
  return { schema, name, display: `${schema}.${name}` };
}

const TABLE_ONLY = ['into', 'asOf', 'copyMissingRows'] as const;

/**
 * The request's table-level part, or undefined for a whole-database restore.
 * Refuses, before anything is read, what cannot go together: --to or --clean
 * with --table, --into missing, --copy-missing-rows without --yes.
 */
export function tableRequest(request: RestoreRequest): TableRequest | undefined {
  const options = request.options as PostgresRestoreOptions;
  if (!options.table) {
    const stray = TABLE_ONLY.find((name) => options[name] !== undefined && options[name] !== false);
    if (stray) throw new UsageError(`${flagOf(stray)} belongs to a table-level restore; name the tables with --table schema.table`);
    return undefined;
  }
  if (request.target !== undefined) throw new UsageError('--table restores beside the live tables, into the database named by --into; --to is for whole-database restores');
  if (request.clean) throw new UsageError('--clean is not taken by a table-level restore: it never drops or replaces anything');
  if (options.jobs !== undefined) throw new UsageError('--jobs is not taken by a table-level restore');
  if (!options.into) throw new UsageError('--table needs --into env:NAME naming the live database the restored tables are copied into (under new names)');
  if (options.copyMissingRows && !request.yes) {
    throw new UsageError('--copy-missing-rows inserts rows into the live tables; add --yes to confirm (without it, the restore only reports what is missing)');
  }
  const tables = options.table.map(parseTableName);
  const seen = new Map<string, TableName>();
  for (const table of tables) {
    const other = seen.get(table.name);
    if (other?.display === table.display) throw new UsageError(`--table ${table.display} is given twice`);
    if (other) throw new UsageError(`--table ${other.display} and ${table.display} would both be restored as ${table.name}; restore them in two runs`);
    seen.set(table.name, table);
  }
  return {
    tables,
    into: options.into,
    copyMissingRows: options.copyMissingRows === true,
    ...(options.asOf !== undefined ? { asOf: parseAsOf(options.asOf) } : {}),
  };
}

/** A backup with a logical dump that pg_restore reads table by table (custom format). */
export function hasCustomDump(manifest: Manifest): boolean {
  const facts = manifest.facts as { format?: string; baseBackup?: unknown };
  return (facts.format ?? (facts.baseBackup ? undefined : 'custom')) === 'custom';
}

/**
 * `--as-of`: the newest complete backup with a dump that finished before the
 * time; neither --as-of nor --backup: the newest with a dump. Undefined
 * leaves the choice to the engine (a whole-database restore, or --backup).
 */
export function pickTableBackup(backups: readonly Manifest[], request: RestoreRequest, backupId: string | undefined): Manifest | undefined {
  const table = tableRequest(request);
  if (!table) return undefined;
  if (table.asOf && backupId) throw new UsageError('--as-of and --backup both choose the backup; give one');
  if (backupId) return undefined;
  const dumps = backups.filter(hasCustomDump);
  if (!table.asOf) return dumps.at(-1);
  const asOf = table.asOf;
  const before = dumps.filter((m) => Date.parse(m.finishedAt) < asOf.getTime());
  if (before.length === 0) {
    const oldest = dumps[0];
    throw new UsageError(
      `no complete backup with a dump finished before ${asOf.toISOString()}` + (oldest ? `; the oldest, ${oldest.id}, finished at ${oldest.finishedAt}` : ''),
    );
  }
  return before.at(-1);
}

/** `lifeboat_restored_20260214t120000z`: the --as-of time, else the backup's time, compact. */
export function restoredSchemaName(manifest: Manifest, asOf: Date | undefined): string {
  const when = asOf ?? new Date(Date.parse(manifest.startedAt));
  return `lifeboat_restored_${when.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '').toLowerCase()}`;
}
