import { describe, expect, test } from 'vitest';
import { filesConfig, pathSpecs } from './config.js';

describe('filesConfig', () => {
  test('paths are strings or { path, optional }; the rest has defaults', () => {
    const config = filesConfig.parse({ paths: ['/opt/civicq/.env.production', { path: '/etc/cron.d/civicq-*', optional: true }, { path: 'nginx' }] });
    expect(config).toEqual({
      paths: ['/opt/civicq/.env.production', { path: '/etc/cron.d/civicq-*', optional: true }, { path: 'nginx', optional: false }],
      include: [],
      exclude: [],
      followSymlinks: false,
    });
    expect(pathSpecs(config)).toEqual([
      { written: '/opt/civicq/.env.production', optional: false },
      { written: '/etc/cron.d/civicq-*', optional: true },
      { written: 'nginx', optional: false },
    ]);
  });

  test('refuses no paths, unknown keys in a path entry, and globs that cannot compile', () => {
    expect(filesConfig.safeParse({ paths: [] }).success).toBe(false);
    expect(filesConfig.safeParse({ paths: [{ path: '/x', optinal: true }] }).success).toBe(false);
    const bad = filesConfig.safeParse({ paths: ['/x'], exclude: ['[abc'] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toContain('the [ at position 1 is never closed');
  });
});
