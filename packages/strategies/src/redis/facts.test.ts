import { describe, expect, test } from 'vitest';
import { keyspaceOf, parseInfo, redisFacts, serverFacts } from './facts.js';
import type { RdbCheckResult } from './rdb-check.js';

const INFO = [
  '# Server',
  'redis_version:7.0.15',
  'redis_mode:standalone',
  '',
  '# Memory',
  'used_memory:1313496',
  '',
  '# Replication',
  'role:master',
  '',
  '# Keyspace',
  'db0:keys=19,expires=3,avg_ttl=88151136',
  'db3:keys=2,expires=0,avg_ttl=0',
  '',
].join('\r\n');

describe('INFO parsing', () => {
  test('reads fields across sections and the keyspace lines', () => {
    const info = parseInfo(INFO);
    expect(info.redis_version).toBe('7.0.15');
    expect(keyspaceOf(info)).toEqual({ keys: { db0: 19, db3: 2 }, expires: { db0: 3 } });
    expect(serverFacts(INFO)).toEqual({ redisVersion: '7.0.15', role: 'master', usedMemoryBytes: 1313496, infoKeyspace: { keys: { db0: 19, db3: 2 }, expires: { db0: 3 } } });
  });
});

describe('redisFacts', () => {
  const check: RdbCheckResult = {
    version: 10,
    bytes: 7049,
    checksum: { state: 'ok', crc64: 'e9c6d914c4b8d9ca' },
    scan: { state: 'complete', eofOffset: 7040, keys: { 0: 20, 3: 2 }, expires: { 0: 4 }, aux: { ctime: '1795667206' } },
  };

  test('counts come from the snapshot when it could be walked', () => {
    expect(redisFacts(serverFacts(INFO), check, 'replica')).toEqual({
      redisVersion: '7.0.15',
      role: 'master',
      usedMemoryBytes: 1313496,
      mode: 'replica',
      rdbVersion: 10,
      rdbBytes: 7049,
      rdbChecksum: 'crc64:e9c6d914c4b8d9ca',
      snapshotAt: '2026-11-26T04:26:46.000Z',
      keys: { db0: 20, db3: 2 },
      expires: { db0: 4 },
      totalKeys: 22,
      keysFrom: 'rdb',
    });
  });

  test('else from INFO keyspace, and it says so', () => {
    const facts = redisFacts(serverFacts(INFO), { ...check, checksum: { state: 'disabled' }, scan: { state: 'unknown', reason: 'value type 30', aux: {} } }, 'bgsave');
    expect(facts).toMatchObject({ keys: { db0: 19, db3: 2 }, totalKeys: 21, keysFrom: 'info', rdbChecksum: 'disabled', mode: 'bgsave' });
    expect(facts.snapshotAt).toBeUndefined();
  });
});
