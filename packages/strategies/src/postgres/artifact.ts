/** The artifact a postgres backup stores, by `format`: what backup writes, and check and restore read. */
export const ARTIFACT = { custom: 'database.dump', plain: 'database.sql.gz' } as const;

/** The artifacts of a base backup: the data directory as pg_basebackup's tar, and the server's backup_manifest beside it for pg_verifybackup. */
export const BASE_BACKUP_ARTIFACT = 'base.tar.gz';
export const BACKUP_MANIFEST_ARTIFACT = 'backup_manifest';

/** After how long a silent pg_basebackup is looked into (pg_stat_archiver), and how long it may stay silent at most. */
export const BASE_BACKUP_WATCH = { askAfterMs: 60_000, idleDeadlineMs: 10 * 60_000 };
