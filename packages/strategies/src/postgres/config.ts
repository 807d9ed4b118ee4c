import { isAbsolute } from 'node:path';
import { planCron, planDuration } from '@lifeboat/core';
import { z } from 'zod';

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)$/;
const UNIT = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 } as const;

/** `4GiB`, `500MiB` → bytes; binary units only, so nobody wonders whether GB means 10^9. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  return m ? Math.floor(Number(m[1]) * UNIT[m[2] as keyof typeof UNIT]) : undefined;
}

/** The default spool limit: room for 256 segments of 16 MiB. */
export const DEFAULT_SPOOL_MAX = '4GiB';

const size = z
  .string({ error: 'a size such as 4GiB or 500MiB (units B, KiB, MiB, GiB, TiB)' })
  .refine((text) => (parseSize(text) ?? 0) > 0, { error: 'a size such as 4GiB or 500MiB (units B, KiB, MiB, GiB, TiB)' })
  .transform((text) => parseSize(text)!);

/**
 * pitr.async: `wal push` only copies the segment into a local spool (fsync'd)
 * and a background pusher stores it in the destinations — as pgBackRest's
 * archive-async. The segment is durable on this host when PostgreSQL hears 0,
 * offsite once the pusher has delivered it.
 */
const walAsync = z.strictObject(
  {
    /** Folder on this host; each component spools into `<spool>/<component>/`. The server's OS user writes it. */
    spool: z
      .string({ error: 'an absolute path such as /var/spool/lifeboat' })
      .refine((path) => isAbsolute(path), { error: 'an absolute path such as /var/spool/lifeboat (archive_command runs in the data directory)' }),
    /** When the spooled files reach this size, `wal push` fails and PostgreSQL keeps the segment and retries. */
    maxSize: size.default(parseSize(DEFAULT_SPOOL_MAX)!),
  },
  { error: 'a mapping such as { spool: /var/spool/lifeboat, maxSize: 4GiB }' },
);

const MAINTENANCE_WORK_MEM = 'a size from 1MiB to 16GiB such as 256MiB (units B, KiB, MiB, GiB, TiB)';

/** Settings of a logical restore (pg_restore into the staging database). */
const restoreSettings = z.strictObject(
  {
    /** maintenance_work_mem of each pg_restore job's session (index builds); unset: the server's own; never lowers the server's. */
    maintenanceWorkMem: z
      .string({ error: MAINTENANCE_WORK_MEM })
      .refine((text) => {
        const bytes = parseSize(text) ?? 0;
        return bytes >= 1024 ** 2 && bytes <= 16 * 1024 ** 3;
      }, { error: MAINTENANCE_WORK_MEM })
      .transform((text) => parseSize(text)!)
      .optional(),
  },
  { error: 'a mapping such as { maintenanceWorkMem: 256MiB }' },
);

const SHARED_BUFFERS = 'auto, or a size from 128KiB to 1TiB such as 1GiB (units B, KiB, MiB, GiB, TiB)';

/** The PostgreSQL a restore to a point runs to replay WAL (not the server the hooks start afterwards). */
const recoverySettings = z.strictObject(
  {
    /** Its shared_buffers: `auto` raises the folder's own setting to a quarter of this host's memory, at most 1 GiB (recovery-memory.ts). */
    sharedBuffers: z
      .union([z.literal('auto'), z.string()], { error: SHARED_BUFFERS })
      .refine((text) => {
        if (text === 'auto') return true;
        const bytes = parseSize(text) ?? 0;
        return bytes >= 128 * 1024 && bytes <= 1024 ** 4;
      }, { error: SHARED_BUFFERS })
      .transform((text) => (text === 'auto' ? ('auto' as const) : parseSize(text)!))
      .default('auto'),
  },
  { error: 'a mapping such as { sharedBuffers: auto } or { sharedBuffers: 2GiB }' },
);

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
  /** How pg_restore's sessions are set up (see restore-session.ts). */
  restore: restoreSettings.default({}),
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
        /** Archive through a local spool and a background pusher (for a busy server); absent: each push stores the file itself. */
        async: walAsync.optional(),
        /** restore_command (`wal get`) fetches this many segments ahead, verified, in the background; 0: one at a time. */
        prefetch: z.number({ error: 'a whole number of WAL segments from 0 (off) to 64, such as 8' }).int().min(0).max(64).default(8),
        /** The PostgreSQL that replays WAL during a restore to a point. */
        recovery: recoverySettings.default({ sharedBuffers: 'auto' }),
      },
      { error: 'a mapping such as { baseBackups: "0 2 * * 0", walRpo: 5m }' },
    )
    .optional(),
});

export type PostgresConfig = z.infer<typeof postgresConfig>;
