import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { LockHeldError } from '../errors.js';
import { acquireLock } from './lock.js';

describe('acquireLock', () => {
  it('refuses a second holder with a sentence naming the first, and frees on release', () => {
    const dir = scratchDir('lock-');
    const first = acquireLock(dir, 'plan.database', 'backup');
    expect(() => acquireLock(dir, 'plan.database', 'backup')).toThrow(LockHeldError);
    expect(() => acquireLock(dir, 'plan.database', 'backup')).toThrow(new RegExp(`pid ${process.pid}, backup started`));
    expect(acquireLock(dir, 'plan.redis', 'backup').path).not.toBe(first.path);
    first.release();
    expect(existsSync(first.path)).toBe(false);
    acquireLock(dir, 'plan.database', 'backup').release();
  });

  it('takes over a lock whose process is gone', () => {
    const dir = scratchDir('lock-');
    writeFileSync(join(dir, 'plan.database.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: 'x', operation: 'backup', startedAt: 'then' }));
    const lock = acquireLock(dir, 'plan.database', 'backup');
    expect(existsSync(lock.path)).toBe(true);
    lock.release();
  });
});
