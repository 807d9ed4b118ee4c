import { DEFAULT_RESTORE_SURFACE, type ChosenTarget, type ComponentPlan, type Manifest, type RestoreOptionValues, type RestoreSurface, type RestoreTargetChoice } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';
import { describeTarget, parseTargetTime, recoveryTargetOf } from './recovery-target.js';

const OPTIONS = [
  { name: 'jobs', type: 'count', valueName: 'n', description: 'parallel pg_restore jobs (custom-format dumps; default from the plan)' },
  { name: 'toTime', type: 'string', valueName: 'time', description: 'restore to a point in time (pitr:): replay WAL up to this time, with its zone ("2026-02-14 12:00:00+00")' },
  { name: 'toLsn', type: 'string', valueName: 'lsn', description: 'restore to a point (pitr:): replay WAL up to this location (0/5000060)' },
  { name: 'toXid', type: 'string', valueName: 'xid', description: 'restore to a point (pitr:): replay WAL up to the commit of this transaction' },
  { name: 'toName', type: 'string', valueName: 'name', description: 'restore to a point (pitr:): replay WAL up to this pg_create_restore_point() name' },
  { name: 'toLatest', type: 'boolean', description: 'restore to a point (pitr:): replay all the archived WAL' },
  { name: 'toImmediate', type: 'boolean', description: 'restore to a point (pitr:): stop as soon as the base backup is consistent' },
  { name: 'toDir', type: 'path', valueName: 'dir', description: 'restore to a point into this data directory (new or empty; --clean --yes empties it), ready for pg_ctl start' },
  { name: 'owner', type: 'owner', valueName: 'uid:gid', description: 'owner of the --to-dir data directory, the OS user the server runs as (default: the owner of its parent folder)' },
  { name: 'keep', type: 'boolean', description: 'with --to ephemeral and a point: keep the recovered throwaway server running until Ctrl-C, and say how to connect' },
  // Table-level restore (docs/table-restore.md): --table … --into …, never --to.
  { name: 'table', type: 'list', valueName: 'schema.table', description: 'table-level restore: restore only this table (repeatable) beside the live one, into a new schema of --into' },
  { name: 'into', type: 'string', valueName: 'url', description: 'table-level restore: the live database (env:NAME / file:/path holding its URL); only a new schema lifeboat_restored_<when> is created in it' },
  { name: 'asOf', type: 'string', valueName: 'time', description: 'table-level restore: the tables as at this time (with a zone: 2026-02-14T12:00:00Z): recovered by PITR to it (pitr:), else from the newest dump finished before it' },
  { name: 'copyMissingRows', type: 'boolean', description: 'table-level restore: then insert the rows the live tables lack (by primary key), in one transaction; needs --yes' },
] as const;

/** What `request.options` holds for a postgres restore (checked by the engine against `OPTIONS`). */
export type PostgresRestoreOptions = RestoreOptionValues<typeof OPTIONS>;

/** `--to` a database (the component's own url is production), `--clean` drops and recreates it, `--jobs` for pg_restore. */
export const postgresRestoreSurface: RestoreSurface<PostgresConfig> = {
  to: { description: 'a URL without password, or env:NAME / file:/path holding one' },
  clean: 'drop and recreate the database',
  options: OPTIONS,
  examples: [
    '  $ RESTORE_URL=postgres://civicq@db:5432/civicq_restored lifeboat restore database --to env:RESTORE_URL',
    '  $ lifeboat restore database --backup 20260214T020000Z-3f9a1c --to env:DATABASE_URL --clean --yes --jobs 4',
    '  $ lifeboat restore database --to-time "2026-02-14 12:00:00+00" --to-dir /var/lib/postgresql/15/main',
    '  $ lifeboat restore database --to-latest --to ephemeral',
    '  $ lifeboat restore database --table public.users --as-of 2026-02-14T12:00:00Z --into env:DATABASE_URL',
    '  $ lifeboat restore database --table public.users --table public.orders --into env:DATABASE_URL --copy-missing-rows --yes',
  ],
  // The component's url is production; or type a URL (env:NAME): what any kind with a url offers.
  production: (config) => config.url,
  targets: (config) => [...DEFAULT_RESTORE_SURFACE.targets(config), ...pointTargets(config), ...tableTargets(config)],
  drill: (target) => (target === 'ephemeral' ? { place: 'a throwaway server', fresh: 'started' } : { place: `a scratch database on ${target}` }),
  checks(manifest) {
    const tables = Object.keys((manifest.facts.tables as Record<string, number> | undefined) ?? {});
    return tables.length > 0 ? `compare the row counts recorded at backup time (${tables.join(', ')})` : 'run the checks the backup recorded';
  },
  describe({ component, source, chosen, clean, live, manifest }) {
    if (chosen.kind === 'tables' || chosen.kind === 'tables-copy') return describeTables(component, source, chosen, manifest);
    if (chosen.kind === 'point' || chosen.kind === 'point-dir') return describePoint(source, chosen, clean);
    return {
      restore: [
        `restore ${source} into ${chosen.value}${live}`,
        clean
          ? 'clean is ON: if the database holds tables, DROP it and create it again (all its data is lost)'
          : 'clean is off: a database that already holds tables is refused, nothing is dropped',
        postgresRestoreSurface.checks(manifest),
      ],
    };
  },
};

// Restore to a point in the wizard (pitr: components): the point is typed (a time with its zone, or latest), and
// it goes into a throwaway server (--to ephemeral) or a data directory (--to-dir). The engine chooses the base backup.
const POINT_FIELD = {
  into: 'toTime',
  name: 'point in time',
  ask: 'the time to restore to, with its zone, or latest',
  example: '2026-02-14 12:00:00+00',
  hint: 'a time with its zone (2026-02-14 12:00:00+00, 2026-02-14T12:00:00Z, …-05:00), or latest for the end of the WAL archive; the base backup before it is chosen for you',
  options: (text: string): Record<string, unknown> => {
    if (/^latest$/i.test(text.trim())) return { toLatest: true };
    // The CLI's parser and sentence: a time without its zone is refused.
    parseTargetTime(text);
    return { toTime: text.trim() };
  },
};

/** `time 2026-02-14T12:00:00.000Z`, `the end of the WAL archive`: what a typed point names. */
const pointOf = (text: string) => describeTarget(recoveryTargetOf(POINT_FIELD.options(text))!);

function pointTargets(config: ComponentPlan & PostgresConfig): RestoreTargetChoice[] {
  if (!config.pitr) return [];
  return [
    {
      kind: 'point',
      label: 'to a point in time: a throwaway server (--to ephemeral), removed afterwards',
      set: { to: 'ephemeral' },
      beside: true,
      choosesBackup: true,
      fields: [POINT_FIELD],
      headline: (chosen) => `restore to ${pointOf(chosen.value)} into a throwaway server`,
    },
    {
      kind: 'point-dir',
      label: 'to a point in time: a data directory (--to-dir), ready for pg_ctl start',
      production: true,
      clean: true,
      choosesBackup: true,
      fields: [
        POINT_FIELD,
        {
          into: 'toDir',
          name: 'data directory',
          title: 'data directory to recover into',
          ask: 'the data directory to recover into',
          example: '/var/lib/postgresql/15/main',
          hint: (chosen) => `a new or empty folder (a non-empty one only with clean, confirmed) for the cluster as at ${pointOf(chosen.value)}; the server is not started on it`,
        },
        {
          into: 'owner',
          name: 'owner (UID:GID, or empty)',
          title: 'owner of the data directory',
          ask: 'the owner',
          example: '999:999',
          hint: "the OS user the server runs as, numeric UID:GID (e.g. postgres's); empty: the owner of the folder, or of its parent",
          empty: 'use the owner of the folder, or of its parent',
        },
      ],
      headline: (chosen) => `restore to ${pointOf(chosen.value)} into the data directory ${String(chosen.toDir)}`,
      confirm: {
        prompt: 'This runs the plan’s beforeRestore hooks and lays a recovered cluster out in the data directory.',
        action: 'recover into the data directory',
      },
    },
  ];
}

function describePoint(source: string, chosen: ChosenTarget, clean: boolean) {
  const point = pointOf(chosen.value);
  const recover = `check it with pg_verifybackup, and recover it to ${point} (restore_command = lifeboat wal get: every WAL file's hash is checked before PostgreSQL gets it)`;
  const report = `report where recovery stopped and the row counts of verify.tables at the point (not compared: they differ from the backup's by design)`;
  if (chosen.kind === 'point') {
    return {
      withoutBeforeHooks: 'no hooks run: a throwaway server replaces nothing, the services stay up',
      restore: [`lay ${source} out in a throwaway data directory, ${recover}`, report, 'stop the throwaway server and remove it'],
    };
  }
  const dir = String(chosen.toDir);
  return {
    restore: [
      clean ? `clean is ON: EMPTY ${dir} first (all it holds is lost)` : `clean is off: ${dir} must be new or empty, else the restore is refused and nothing is deleted`,
      `lay ${source} out in ${dir} (mode 0700, owned by ${chosen.owner ? `${(chosen.owner as { uid: number }).uid}:${(chosen.owner as { gid: number }).gid}` : 'the owner of the folder, or of its parent'}), ${recover}`,
      report,
      `stop the recovered server cleanly: ${dir} is ready for pg_ctl start on a new timeline (a failed restore leaves nothing PostgreSQL could start)`,
    ],
  };
}

// Table-level restore in the wizard (the runbook "Accidental data deletion" opens on these): the tables are typed,
// comma-separated; --into is the component's own url. Copying rows back is a choice of its own, confirmed by name.
const TABLES_FIELD = {
  into: 'table',
  name: 'tables',
  ask: 'the tables to restore',
  example: 'public.users, public.orders',
  hint: 'schema.table, comma-separated (a name without a schema is in public); they are copied into a new schema lifeboat_restored_<when> of the live database',
};

function tableTargets(config: ComponentPlan & PostgresConfig): RestoreTargetChoice[] {
  // The live database the tables are copied into is the component's own.
  if (!config.url) return [];
  return [
    {
      kind: 'tables',
      label: 'only some tables, beside the live ones: copied into a new schema of the live database and compared (accidental deletion)',
      set: { options: { into: config.url } },
      beside: true,
      fields: [TABLES_FIELD],
      headline: (chosen) => `restore ${chosen.value} beside the live tables (nothing live is changed)`,
    },
    {
      kind: 'tables-copy',
      label: 'only some tables, then copy the rows the live tables lack back into them (accidental deletion)',
      set: { options: { into: config.url, copyMissingRows: true } },
      beside: true,
      production: true,
      fields: [TABLES_FIELD],
      headline: (chosen) => `restore ${chosen.value}, then INSERT the missing rows into the live tables`,
      confirm: { prompt: 'This inserts rows into the live tables (rows they have are never changed).', action: 'insert the missing rows into the live tables' },
    },
  ];
}

function describeTables(component: string, source: string, chosen: ChosenTarget, manifest: Manifest) {
  const copy = chosen.kind === 'tables-copy';
  const counts = Object.keys((manifest.facts.tables as Record<string, number> | undefined) ?? {});
  return {
    withoutBeforeHooks: 'no hooks run: nothing is replaced, the services stay up',
    restore: [
      `check that ${source} holds ${chosen.value} (pg_restore --list); else stop here, nothing changed`,
      `restore ${chosen.value} into a throwaway PostgreSQL, then copy them into a new schema lifeboat_restored_<backup time> of the live ${component}, in one transaction; no live table is touched`,
      `report per table: rows restored, rows the live table lacks and rows only the live table has (by its primary key)${counts.length > 0 ? `; compare the counts recorded at backup time (${counts.join(', ')})` : ''}`,
      copy
        ? 'then INSERT the rows each live table lacks, all tables in ONE transaction, parents first; refused for a table without a primary key; rows the live tables have are never changed'
        : 'copy nothing back: to insert the missing rows, run the next step (or --copy-missing-rows --yes)',
    ],
  };
}
