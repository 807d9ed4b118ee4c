import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP = path.resolve(fileURLToPath(import.meta.url), '../..');
const REPO = path.resolve(APP, '../..');

/**
 * `pnpm package` builds once for this file; the release is unpacked into a
 * prefix outside the repository, where no node_modules can be reached, and
 * run from a folder outside it with a bare environment.
 */
describe('the packaged release (pnpm package), outside the source tree', () => {
  let dir: string;
  let launcher: string;
  const run = (args: string[], cwd: string) =>
    spawnSync(launcher, args, { cwd, encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', LIFEBOAT_LOCK_DIR: path.join(dir, 'locks') } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-release-'));
    const tarball = execFileSync(process.execPath, [path.join(APP, 'scripts/package.mjs'), '--out', path.join(dir, 'out')], { encoding: 'utf8' }).trim();
    const prefix = path.join(dir, 'usr-local');
    await mkdir(prefix);
    execFileSync('tar', ['-xzf', tarball, '-C', prefix]);
    launcher = path.join(prefix, 'bin/lifeboat');
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds a launcher and one bundle, and no node_modules is reachable from it', async () => {
    expect((await readdir(path.join(dir, 'usr-local/lib/lifeboat'))).sort()).toEqual(['BUILD', 'lifeboat.mjs', 'lifeboat.mjs.LEGAL.txt']);
    for (let d = path.join(dir, 'usr-local/lib/lifeboat'); d !== path.dirname(d); d = path.dirname(d)) expect(existsSync(path.join(d, 'node_modules'))).toBe(false);
    expect(path.relative(REPO, dir).startsWith('..')).toBe(true);
  });

  it('lifeboat --version says the version and the git commit it was built from', () => {
    const version = run(['--version'], dir);
    expect(version.status).toBe(0);
    const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(version.stdout).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+ \\(build ${commit}(-dirty)?, \\d{4}-\\d{2}-\\d{2}\\)\\n$`));
  });

  it('lifeboat plan check reads examples/civicq.yaml as ./lifeboat.yaml of a server folder', async () => {
    const server = path.join(dir, 'srv');
    await mkdir(server);
    await copyFile(path.join(REPO, 'examples/civicq.yaml'), path.join(server, 'lifeboat.yaml'));
    const check = run(['plan', 'check'], server);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout).toContain(`${path.join(server, 'lifeboat.yaml')}: the plan is valid`);
  });

  it('an encrypted files backup and restore work from the bundle (age, tar, fs inside it)', async () => {
    const server = path.join(dir, 'files');
    await mkdir(path.join(server, 'etc'), { recursive: true });
    await writeFile(path.join(server, 'etc/app.conf'), 'secret = 1\n');
    const keys = run(['keys', 'generate', '--out', path.join(server, 'age.key')], server);
    expect(keys.status).toBe(0);
    const recipient = /age1[0-9a-z]{58}/.exec(keys.stdout)![0];
    await writeFile(
      path.join(server, 'lifeboat.yaml'),
      `version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
encryption: { recipients: [${recipient}], identity: file:age.key }
components:
  config: { type: files, paths: [./etc], schedule: on-change, rpo: 0, rto: 1h, destinations: [local] }
`,
    );
    const backup = run(['backup'], server);
    expect(backup.status, backup.stdout + backup.stderr).toBe(0);
    const restore = run(['restore', 'config', '--to-dir', path.join(server, 'restored')], server);
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    expect(execFileSync('cat', [path.join(server, 'restored', path.join(server, 'etc/app.conf').slice(1))], { encoding: 'utf8' })).toBe('secret = 1\n');
  });
});
