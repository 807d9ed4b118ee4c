import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { eachWorkspace, filesPlan, lifeboat } from './test/harness.js';

describe('lifeboat history', () => {
  const ws = eachWorkspace();
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env: { SUDO_USER: 'alice' } });

  test('shows restores, pins, unpins and unlocks: which backup or lock, and who did it on which host', async () => {
    const live = join(ws.dir, 'live');
    await mkdir(live);
    await writeFile(join(live, 'app.conf'), 'listen 8080\n');
    await ws.writePlan(filesPlan({ destinations: { local: join(ws.dir, 'repo') }, paths: [live] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const [{ id }] = JSON.parse((await cli('list', 'config', '--json')).stdout) as [{ id: string }];
    expect((await cli('restore', 'config', '--to', join(ws.dir, 'restored'))).exitCode).toBe(0);
    expect((await cli('pin', 'config', id!, '--reason', 'before the migration')).exitCode).toBe(0);
    expect((await cli('unpin', 'config', id!)).exitCode).toBe(0);
    await mkdir(join(ws.dir, 'repo', 'locks'));
    await writeFile(
      join(ws.dir, 'repo', 'locks', 'config.json'),
      JSON.stringify({ lifeboat: 'lock', plan: 'test', component: 'config', operation: 'backup', owner: 'ops@db-2', host: 'db-2', pid: 4242, token: 't', acquiredAt: '2026-01-01T01:50:00Z', refreshedAt: '2026-01-01T01:55:00Z', expiresAt: '2026-01-01T02:25:00Z' }),
    );
    expect((await cli('unlock', 'config', '--yes')).exitCode).toBe(0);

    const history = await cli('history', 'config');
    expect(history.exitCode).toBe(0);
    const lines = history.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['backup', 'restore', 'pin', 'unpin', 'unlock']);
    expect(lines[1]).toMatch(new RegExp(`restore\\s+config\\s+ok\\s+.*  ${id} into ${join(ws.dir, 'restored')}.* by alice@\\S+$`));
    expect(lines[2]).toMatch(new RegExp(`pin\\s+config\\s+ok\\s+.*  ${id}: before the migration by alice@\\S+$`));
    expect(lines[3]).toMatch(new RegExp(`unpin\\s+config\\s+ok\\s+.*  ${id} by alice@\\S+$`));
    expect(lines[4]).toMatch(/unlock\s+config\s+ok\s+.*  removed the lock in local by alice@\S+$/);
    expect(lines[0]).not.toContain('alice');

    const records = JSON.parse((await cli('history', 'config', '--json')).stdout) as Array<{ operation: string; user?: string; host: string }>;
    expect(records.every((r) => r.user === 'alice' && r.host !== '')).toBe(true);
  });
});
