import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { environmentOf } from './environment.js';
import { leanWalGetArgs } from './wal-get-lean.js';
import { leanWalPushArgs, planPath } from './wal-push-lean.js';

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

test('the lean paths look for the plan where the CLI does: --plan, $LIFEBOAT_PLAN, ./lifeboat.yaml, then /etc/lifeboat/lifeboat.yaml', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-lean-plan-'));
  try {
    const system = { plan: join(dir, 'etc-lifeboat.yaml'), runDir: join(dir, 'no-run') };
    const env = (vars: Record<string, string>) => environmentOf(vars, { cwd: join(dir), uid: 0, stdoutIsTTY: false }, system);
    expect(planPath(undefined, env({}))).toBe(join(dir, 'lifeboat.yaml'));
    await writeFile(system.plan, 'version: 1\n');
    expect(planPath(undefined, env({}))).toBe(system.plan);
    expect(planPath(undefined, env({ LIFEBOAT_PLAN: 'other.yaml' }))).toBe(join(dir, 'other.yaml'));
    expect(planPath('/x/flag.yaml', env({ LIFEBOAT_PLAN: 'other.yaml' }))).toBe('/x/flag.yaml');
    await writeFile(join(dir, 'lifeboat.yaml'), 'version: 1\n');
    expect(planPath(undefined, env({}))).toBe(join(dir, 'lifeboat.yaml'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
