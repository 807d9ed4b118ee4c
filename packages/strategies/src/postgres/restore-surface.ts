import { DEFAULT_RESTORE_SURFACE, type RestoreOptionValues, type RestoreSurface } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';

const OPTIONS = [
  { name: 'jobs', type: 'count', valueName: 'n', description: 'parallel pg_restore jobs (custom-format dumps; default from the plan)' },
  // Table-level restore (docs/table-restore.md): --table … --into …, never --to.
  { name: 'table', type: 'list', valueName: 'schema.table', description: 'table-level restore: restore only this table (repeatable) beside the live one, into a new schema of --into' },
  { name: 'into', type: 'string', valueName: 'url', description: 'table-level restore: the live database (env:NAME / file:/path holding its URL); only a new schema lifeboat_restored_<when> is created in it' },
  { name: 'asOf', type: 'string', valueName: 'time', description: 'table-level restore: use the newest backup finished before this time (with a zone: 2026-02-14T12:00:00Z)' },
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
    '  $ lifeboat restore database --table public.users --as-of 2026-02-14T12:00:00Z --into env:DATABASE_URL',
    '  $ lifeboat restore database --table public.users --table public.orders --into env:DATABASE_URL --copy-missing-rows --yes',
  ],
  // The component's url is production; or type a URL (env:NAME): what any kind with a url offers.
  production: (config) => config.url,
  targets: DEFAULT_RESTORE_SURFACE.targets,
  drill: (target) => (target === 'ephemeral' ? { place: 'a throwaway server', fresh: 'started' } : { place: `a scratch database on ${target}` }),
  checks(manifest) {
    const tables = Object.keys((manifest.facts.tables as Record<string, number> | undefined) ?? {});
    return tables.length > 0 ? `compare the row counts recorded at backup time (${tables.join(', ')})` : 'run the checks the backup recorded';
  },
  describe({ source, chosen, clean, live, manifest }) {
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
