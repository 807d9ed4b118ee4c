import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { lifeboat } from './test/harness.js';
import { VERSION_TEXT } from './version.js';

describe('lifeboat command line', () => {
  const lockDir = join(tmpdir(), 'lifeboat-main-test-locks');

  it('--help lists the commands with examples and exit codes', async () => {
    const run = await lifeboat(['--help'], { lockDir });
    expect(run.exitCode).toBe(0);
    for (const word of ['backup', 'list', 'restore', 'demo', 'Examples:', 'Exit codes:']) expect(run.stdout).toContain(word);
  });

  it('--version prints the version and build', async () => {
    const run = await lifeboat(['--version'], { lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(VERSION_TEXT);
    expect(VERSION_TEXT).toMatch(/^\d+\.\d+\.\d+ \(build source\)$/);
  });

  it('an unknown command or a missing argument is exit 2', async () => {
    expect((await lifeboat(['bakup'], { lockDir })).exitCode).toBe(2);
    const restore = await lifeboat(['restore'], { lockDir });
    expect(restore.exitCode).toBe(2);
    expect(restore.stderr).toMatch(/missing required argument 'component'/);
    const owner = await lifeboat(['restore', 'redis', '--owner', 'redis'], { lockDir });
    expect(owner.exitCode).toBe(2);
    expect(owner.stderr).toMatch(/expected numeric UID:GID such as 999:999, got "redis"/);
  });

  it('a missing plan is one sentence naming where it looked, exit 2', async () => {
    const dir = scratchDir('lifeboat-main-');
    const run = await lifeboat(['list'], { lockDir, cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^lifeboat: plan file .*lifeboat\.yaml not found; pass --plan FILE or set LIFEBOAT_PLAN\n$/);
  });

  it('LIFEBOAT_PLAN is used when --plan is not given, and backup of an unknown component is exit 2', async () => {
    const dir = scratchDir('lifeboat-main-');
    const plan = join(dir, 'custom.yaml');
    await writeFile(
      plan,
      'version: 1\nname: t\ndestinations:\n  a: { type: fs, path: a }\ncomponents:\n  database:\n    type: postgres\n    url: env:X\n    schedule: "0 2 * * *"\n    rpo: 24h\n    rto: 4h\n    destinations: [a]\n',
    );
    const list = await lifeboat(['list'], { lockDir, cwd: dir, env: { LIFEBOAT_PLAN: plan } });
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toBe("no complete backups in t's destinations\n");
    const backup = await lifeboat(['backup', 'redis'], { lockDir, cwd: dir, env: { LIFEBOAT_PLAN: plan } });
    expect(backup.exitCode).toBe(2);
    expect(backup.stderr).toBe(`lifeboat: ${plan} has no component 'redis'; it has: database\n`);
  });
});

describe('lifeboat tui', () => {
  it('refuses in one sentence with exit 2 when stdout is not a terminal', async () => {
    const run = await lifeboat(['tui'], { lockDir: join(tmpdir(), 'lifeboat-main-test-locks') });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      'lifeboat tui needs a terminal, and stdout is not one; use the headless commands (status, list, backup, restore, drill, history) in scripts and timers.\n',
    );
  });
});
