import { UsageError, parseDuration } from '@lifeboat/core';
import { z } from 'zod';

const SECONDS_EXPECTED = 'a duration such as 10s, 2m or 1h (or a number of seconds)';

/** Plans write durations as elsewhere (`10s`, `10m`); a bare number is seconds. Parsed to seconds. */
function seconds(defaultSeconds: number) {
  return z
    .unknown()
    .transform((value, ctx) => {
      const ms = typeof value === 'string' ? parseDuration(value) : typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: SECONDS_EXPECTED, input: value });
        return z.NEVER;
      }
      return ms / 1000;
    })
    .default(defaultSeconds);
}

/** The redis component's own plan fields (merged with the common ones by the plan loader). */
export const redisConfig = z.object({
  /**
   * `env:NAME`, `file:/path`, or a literal `redis://` / `rediss://` URL without
   * a password. User and password go in the URL the reference holds:
   * `redis://backup:PASSWORD@cache:6379`.
   */
  url: z.string().min(1),
  /**
   * replica: fetch the RDB over the network with the replication handshake,
   * like `redis-cli --rdb` (no access to the Redis host needed). bgsave: for
   * servers that refuse replication commands; BGSAVE, then read the file
   * through `rdbPath` or `exec`.
   */
  mode: z.enum(['replica', 'bgsave']).default('replica'),
  /** How long to wait for the TCP/TLS connection and each handshake reply. */
  connectTimeout: seconds(10),
  /** For `rediss://`: the name to verify in the server certificate, and a CA bundle file (PEM). */
  tls: z
    .strictObject({
      servername: z.string().min(1).optional(),
      ca: z.string().min(1).optional(),
    })
    .optional(),
  /** bgsave: the RDB file the server writes (its `dir`/`dbfilename`), relative to the plan's folder. */
  rdbPath: z.string().min(1).optional(),
  /** bgsave: a shell command whose stdout is the RDB, e.g. `docker compose exec -T redis cat /data/dump.rdb`. */
  exec: z.string().min(1).optional(),
  /** bgsave (and replica, whose server also saves first): how long the server may take to write its snapshot. */
  bgsaveTimeout: seconds(600),
  /**
   * gzip the RDB in the pipeline (stored as dump.rdb.gz): true is gzip level
   * 1, a number 1–9 that level. Off by default: the RDB's strings are
   * LZF-compressed already, and gzip's CPU on a 2-core host is what keeps a
   * backup from the pace of `redis-cli --rdb` (docs/benchmarks-redis.md); on
   * the benchmark's data level 1 stores 55 % of the RDB, level 6 54 %.
   */
  compress: z.union([z.boolean(), z.number().int().min(1).max(9)]).default(false),
});

export type RedisConfig = z.infer<typeof redisConfig>;

/**
 * Rules across fields, checked when the component runs: the plan loader
 * merges only the shape of `redisConfig`, so refinements on it would be lost.
 */
export function checkModeFields(config: RedisConfig, component: string): void {
  const at = `components.${component}`;
  if (config.mode === 'bgsave') {
    if (config.rdbPath === undefined && config.exec === undefined) {
      throw new UsageError(`${at}: mode bgsave needs rdbPath (the server's dump.rdb, readable from here) or exec (a command that prints it)`);
    }
    if (config.rdbPath !== undefined && config.exec !== undefined) {
      throw new UsageError(`${at}: rdbPath and exec both say where the RDB comes from; keep one`);
    }
  } else if (config.rdbPath !== undefined || config.exec !== undefined) {
    throw new UsageError(`${at}: ${config.rdbPath !== undefined ? 'rdbPath' : 'exec'} is used only with mode: bgsave (mode replica fetches the RDB over the network)`);
  }
}
