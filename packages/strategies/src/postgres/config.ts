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
});

export type PostgresConfig = z.infer<typeof postgresConfig>;
