import { describe, expect, test } from 'vitest';
import { leanWalGetArgs } from './wal-get-lean.js';
import { leanWalPushArgs } from './wal-push-lean.js';

describe('the lean paths take only their exact command line; anything else goes to the full CLI', () => {
  test('wal get, as restore_command writes it', () => {
    expect(leanWalGetArgs(['--plan', '/etc/l.yaml', 'wal', 'get', 'database', '000000010000000000000003', 'pg_wal/RECOVERYXLOG'])).toEqual({
      plan: '/etc/l.yaml',
      component: 'database',
      file: '000000010000000000000003',
      destination: 'pg_wal/RECOVERYXLOG',
    });
    expect(leanWalGetArgs(['wal', 'get', 'database', 'F', 'P'])).toEqual({ component: 'database', file: 'F', destination: 'P' });
  });

  test('other options, operands or commands are not lean', () => {
    expect(leanWalGetArgs(['--log-format', 'json', 'wal', 'get', 'database', 'F', 'P'])).toBeUndefined();
    expect(leanWalGetArgs(['wal', 'get', 'database', 'F'])).toBeUndefined();
    expect(leanWalGetArgs(['wal', 'push', 'database', 'F', 'P'])).toBeUndefined();
    expect(leanWalGetArgs(['--plan=', 'wal', 'get', 'database', 'F', 'P'])).toBeUndefined();
    expect(leanWalPushArgs(['-p', 'x.yaml', 'wal', 'push', 'database', 'pg_wal/F'])).toEqual({ plan: 'x.yaml', component: 'database', path: 'pg_wal/F' });
    expect(leanWalPushArgs(['wal', 'get', 'database', 'F'])).toBeUndefined();
  });
});
