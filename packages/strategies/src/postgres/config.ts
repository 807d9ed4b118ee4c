import { planCron, planDuration } from '@lifeboat/core';
import { z } from 'zod';

/** The postgres component's own plan fields (merged with the common ones by the plan loader). */
export const postgresConfig = z.object({
  /** `env:NAME`, `file:/path`, or a literal URL without a password. */
  url: z.string().min(1),
  /** custom: pg_dump -Fc (pg_restore, parallel restore); plain: gzip'd SQL for psql. */
  format: z.enum(['custom', 'plain']).default('custom'),
  /** Folder holding pg_dump, pg_restore and psql; default: found on PATH. */
  binDir: z.string().min(1).optional(),
  /** Parallel jobs for pg_restore (custom format only). */
  jobs: z.number().int().min(1).max(64).default(1),
  /** pg_dump --exclude-table patterns. */
  excludeTables: z.array(z.string().min(1)).default([]),
  /** pg_dump --schema patterns; empty = every schema. */
  schemas: z.array(z.string().min(1)).default([]),
  verify: z
    .object({
      /** Tables whose exact row counts are recorded at backup and compared after restore. */
      tables: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .default({ tables: [] }),
  /**
   * Point-in-time recovery: `lifeboat backup` takes a base backup (pg_basebackup)
   * and the server's archive_command runs `lifeboat wal push` for every WAL segment.
   */
  pitr: z
    .strictObject(
      {
        /** When base backups are taken (cron); WAL between them comes from the archive. */
        baseBackups: planCron(),
        /** How old the newest archived segment may be before status calls it stale. */
        walRpo: planDuration({ zero: false }),
        /** Also take the logical dump (pg_dump) in the same backup; false: base backup only. */
        dump: z.boolean({ error: 'true (take the pg_dump too) or false (base backup only)' }).default(true),
      },
      { error: 'a mapping such as { baseBackups: "0 2 * * 0", walRpo: 5m }' },
    )
    .optional(),
});

export type PostgresConfig = z.infer<typeof postgresConfig>;
