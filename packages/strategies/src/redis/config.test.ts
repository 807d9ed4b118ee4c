import { describe, expect, test } from 'vitest';
import { checkModeFields, redisConfig } from './config.js';

describe('redis plan fields', () => {
  test('defaults: replica mode, 10 s to connect, 10 minutes for the snapshot, stored as the RDB is (no gzip)', () => {
    expect(redisConfig.parse({ url: 'env:REDIS_URL' })).toEqual({ url: 'env:REDIS_URL', mode: 'replica', connectTimeout: 10, bgsaveTimeout: 600, compress: false });
  });

  test('compress: true (gzip level 1), false, or a gzip level 1–9', () => {
    expect(redisConfig.parse({ url: 'x', compress: 6 }).compress).toBe(6);
    expect(redisConfig.parse({ url: 'x', compress: false }).compress).toBe(false);
    for (const bad of [0, 10, 2.5, 'fast']) expect(redisConfig.safeParse({ url: 'x', compress: bad }).success).toBe(false);
  });

  test('durations as elsewhere in the plan, or seconds', () => {
    expect(redisConfig.parse({ url: 'x', connectTimeout: '2m', bgsaveTimeout: 30 })).toMatchObject({ connectTimeout: 120, bgsaveTimeout: 30 });
    const bad = redisConfig.safeParse({ url: 'x', connectTimeout: '10 seconds' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('a duration such as 10s, 2m or 1h (or a number of seconds)');
  });

  test('bgsave needs exactly one of rdbPath and exec; replica takes neither', () => {
    const parse = (fields: Record<string, unknown>) => redisConfig.parse({ url: 'x', ...fields });
    expect(() => checkModeFields(parse({ mode: 'bgsave' }), 'cache')).toThrow('components.cache: mode bgsave needs rdbPath');
    expect(() => checkModeFields(parse({ mode: 'bgsave', rdbPath: 'a', exec: 'b' }), 'cache')).toThrow('keep one');
    expect(() => checkModeFields(parse({ rdbPath: '/data/dump.rdb' }), 'cache')).toThrow('rdbPath is used only with mode: bgsave');
    expect(() => checkModeFields(parse({ mode: 'bgsave', exec: 'cat /data/dump.rdb' }), 'cache')).not.toThrow();
  });
});
