import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentOf } from './environment.js';
import { eachWorkspace, filesPlan, lifeboat } from './test/harness.js';

const proc = { cwd: '/', uid: 1000, stdoutIsTTY: false };

describe('where state and the plan are found (roots injected; the real /etc and /run are never touched)', () => {
  const ws = eachWorkspace();

  it('host locks: LIFEBOAT_LOCK_DIR, else $RUNTIME_DIRECTORY, else /run/lifeboat when it exists, else $XDG_RUNTIME_DIR/lifeboat, else the temp folder', async () => {
    const runDir = path.join(ws.dir, 'run-lifeboat');
    const system = { plan: path.join(ws.dir, 'etc/lifeboat.yaml'), runDir };
    const env = { RUNTIME_DIRECTORY: '/run/lifeboat-unit:/run/other', XDG_RUNTIME_DIR: '/run/user/1000' };
    expect(environmentOf({ ...env, LIFEBOAT_LOCK_DIR: '/x' }, proc, system).lockDir).toBe('/x');
    expect(environmentOf(env, proc, system).lockDir).toBe('/run/lifeboat-unit');
    expect(environmentOf({ XDG_RUNTIME_DIR: '/run/user/1000' }, proc, system).lockDir).toBe('/run/user/1000/lifeboat');
    expect(environmentOf({}, proc, system).lockDir).toBe(path.join(tmpdir(), 'lifeboat-locks-1000'));
    await mkdir(runDir);
    expect(environmentOf({ XDG_RUNTIME_DIR: '/run/user/1000' }, proc, system).lockDir).toBe(runDir);
    expect(environmentOf({}, proc, system).lockDir).toBe(runDir);
  });

  it('a /run/lifeboat this user cannot write is passed over', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere; a file in its place stands in for the unusable folder.
      const runDir = path.join(ws.dir, 'run-file');
      await writeFile(runDir, '');
      expect(environmentOf({}, proc, { plan: '/nonexistent', runDir }).lockDir).toBe(path.join(tmpdir(), 'lifeboat-locks-1000'));
      return;
    }
    const runDir = path.join(ws.dir, 'run-ro');
    await mkdir(runDir);
    await chmod(runDir, 0o500);
    expect(environmentOf({}, proc, { plan: '/nonexistent', runDir }).lockDir).toBe(path.join(tmpdir(), 'lifeboat-locks-1000'));
  });

  it('the plan: ./lifeboat.yaml first, else /etc/lifeboat/lifeboat.yaml (as systemd runs units in /), else the not-found sentence', async () => {
    const etc = path.join(ws.dir, 'etc-lifeboat');
    await mkdir(etc);
    const systemPlan = path.join(etc, 'lifeboat.yaml');
    const system = { plan: systemPlan, runDir: path.join(ws.dir, 'no-run') };
    const cwd = path.join(ws.dir, 'elsewhere');
    await mkdir(cwd);

    const none = await lifeboat(['plan', 'check'], { lockDir: ws.lockDir, cwd, system });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`plan file ${path.join(cwd, 'lifeboat.yaml')} not found`);

    await writeFile(systemPlan, filesPlan({ destinations: { local: path.join(ws.dir, 'b') }, paths: [ws.dir] }));
    const fromEtc = await lifeboat(['plan', 'check'], { lockDir: ws.lockDir, cwd, system });
    expect(fromEtc.stderr).toBe('');
    expect(fromEtc.stdout).toContain(`${systemPlan}: the plan is valid`);

    await writeFile(path.join(cwd, 'lifeboat.yaml'), filesPlan({ destinations: { local: path.join(ws.dir, 'b') }, paths: [ws.dir] }));
    const fromCwd = await lifeboat(['plan', 'check'], { lockDir: ws.lockDir, cwd, system });
    expect(fromCwd.stdout).toContain(`${path.join(cwd, 'lifeboat.yaml')}: the plan is valid`);

    const named = await lifeboat(['plan', 'check'], { lockDir: ws.lockDir, cwd: ws.dir, system, env: { LIFEBOAT_PLAN: path.join(cwd, 'lifeboat.yaml') } });
    expect(named.stdout).toContain(`${path.join(cwd, 'lifeboat.yaml')}: the plan is valid`);
  });
});
