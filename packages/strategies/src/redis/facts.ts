/**
 * Facts about a Redis source for the manifest, and the key counts a restore
 * is checked against. Counts come from the RDB itself when the scanner could
 * walk it (exactly the snapshot), else from INFO keyspace just before it.
 */
import type { RestoreCheck } from '@lifeboat/core';
import type { RdbCheckResult } from './rdb-check.js';

/** `INFO` text → section-less map of `field: value` (later sections win, there are no clashes). */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

export interface KeyCounts {
  /** Keys per database, as `db0: 123`. */
  keys: Record<string, number>;
  /** Keys with a TTL per database. */
  expires: Record<string, number>;
}

/** `db0:keys=19,expires=3,avg_ttl=0` lines of INFO keyspace. */
export function keyspaceOf(info: Record<string, string>): KeyCounts {
  const counts: KeyCounts = { keys: {}, expires: {} };
  for (const [field, value] of Object.entries(info)) {
    if (!/^db\d+$/.test(field)) continue;
    const parts = Object.fromEntries(value.split(',').map((p) => p.split('=') as [string, string]));
    counts.keys[field] = Number(parts.keys ?? 0);
    if (Number(parts.expires ?? 0) > 0) counts.expires[field] = Number(parts.expires);
  }
  return counts;
}

export interface ServerFacts {
  redisVersion: string;
  /** master, or slave for a replica source. */
  role: string;
  usedMemoryBytes: number;
  /** INFO keyspace as read just before the snapshot. */
  infoKeyspace: KeyCounts;
}

export function serverFacts(infoText: string): ServerFacts {
  const info = parseInfo(infoText);
  return {
    redisVersion: info.redis_version ?? 'unknown',
    role: info.role ?? 'unknown',
    usedMemoryBytes: Number(info.used_memory ?? 0),
    infoKeyspace: keyspaceOf(info),
  };
}

/** What the manifest records about a Redis backup. */
export interface RedisFacts extends KeyCounts {
  redisVersion: string;
  role: string;
  usedMemoryBytes: number;
  mode: 'replica' | 'bgsave';
  rdbVersion: number;
  /** Uncompressed size of the RDB. */
  rdbBytes: number;
  /** `crc64:<hex>` as verified, `disabled` (the server writes no checksum), or `absent` (RDB < 5). */
  rdbChecksum: string;
  /** When the server started writing the snapshot (the RDB's `ctime`), ISO 8601. */
  snapshotAt?: string;
  totalKeys: number;
  /** `rdb`: counted in the snapshot itself; `info`: INFO keyspace just before it (the server may have changed since). */
  keysFrom: 'rdb' | 'info';
}

export function redisFacts(server: ServerFacts, check: RdbCheckResult, mode: 'replica' | 'bgsave'): RedisFacts {
  const { scan } = check;
  const counts: KeyCounts =
    scan.state === 'complete'
      ? {
          keys: Object.fromEntries(Object.entries(scan.keys).map(([db, n]) => [`db${db}`, n])),
          expires: Object.fromEntries(Object.entries(scan.expires).map(([db, n]) => [`db${db}`, n])),
        }
      : server.infoKeyspace;
  const ctime = Number(scan.aux.ctime);
  return {
    redisVersion: server.redisVersion,
    role: server.role,
    usedMemoryBytes: server.usedMemoryBytes,
    mode,
    rdbVersion: check.version,
    rdbBytes: check.bytes,
    rdbChecksum: check.checksum.state === 'ok' ? `crc64:${check.checksum.crc64}` : check.checksum.state,
    ...(Number.isFinite(ctime) && ctime > 0 ? { snapshotAt: new Date(ctime * 1000).toISOString() } : {}),
    ...counts,
    totalKeys: Object.values(counts.keys).reduce((a, b) => a + b, 0),
    keysFrom: scan.state === 'complete' ? 'rdb' : 'info',
  };
}

/**
 * A server's key counts per database against the backup's. Keys with a TTL
 * that passed since the backup are dropped at load, as on any server, so a
 * database with such keys may hold up to that many fewer. Redis 7+ also
 * counts what it read: loaded plus skipped-as-expired is every key in the file.
 */
export function compareKeyCounts(facts: Partial<RedisFacts>, info: Record<string, string>, what = 'redis-server'): RestoreCheck[] {
  const loaded = keyspaceOf(info);
  const expectedKeys = facts.keys ?? {};
  const expires = facts.expires ?? {};
  const dbs = [...new Set([...Object.keys(expectedKeys), ...Object.keys(loaded.keys)])].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
  const checks: RestoreCheck[] = dbs.map((db) => {
    const keys = expectedKeys[db] ?? 0;
    const ttl = Math.min(expires[db] ?? 0, keys);
    const actual = loaded.keys[db] ?? 0;
    return {
      name: `keys in ${db}`,
      expected: ttl === 0 ? keys : `${keys - ttl}\u2013${keys} (${ttl} with a TTL, which may have expired)`,
      actual,
      ok: actual <= keys && actual >= keys - ttl,
    };
  });
  if (info.rdb_last_load_keys_loaded !== undefined && facts.keysFrom === 'rdb' && facts.totalKeys !== undefined) {
    const read = Number(info.rdb_last_load_keys_loaded) + Number(info.rdb_last_load_keys_expired ?? 0);
    checks.push({ name: `keys read by ${what}`, expected: facts.totalKeys, actual: read, ok: read === facts.totalKeys });
  }
  return checks;
}
