import { DEFAULT_RESTORE_SURFACE, type RestoreOptionValues, type RestoreSurface } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';

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
