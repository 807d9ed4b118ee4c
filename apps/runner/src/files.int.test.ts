import { execFile } from 'node:child_process';
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { artifactPath, hostileArchives, manifests, plantBackup } from './test/files-repo.js';
import { describeTree, isRoot, makeConfigTree, writeBigFile } from './test/files-tree.js';
import { lifeboat, workspace, type Workspace } from './test/harness.js';

const run = promisify(execFile);

function filesPlan(opts: { repo: string; paths: string[]; extra?: string; schedule?: string }): string {
  return `version: 1
name: test
destinations:
  local: { type: fs, path: ${JSON.stringify(opts.repo)} }
components:
  config:
    type: files
    paths:
${opts.paths.map((p) => `      - ${p}`).join('\n')}
    schedule: ${opts.schedule ?? 'on-change'}
    rpo: 0
    rto: 1h
    destinations: [local]
${opts.extra ?? ''}`;
}

/** The `msg` of every JSON log line the runner printed. */
function messages(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

describe('files component through the runner', () => {
  let ws: Workspace;
  let repo: string;
  let tree: string;
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir });
  const listed = async () => JSON.parse((await cli('list', 'config', '--json')).stdout) as Array<{ id: string; facts: Record<string, unknown>; artifacts: Array<{ name: string; format: string }> }>;

  beforeEach(async () => {
    ws = await workspace();
    repo = join(ws.dir, 'repo');
    tree = join(ws.dir, 'opt/civicq');
    await makeConfigTree(tree);
  });
  afterEach(async () => {
    await ws.cleanup();
  });

  test('a tree with modes, owners, links, empty folders, unicode and a 200 MB file round-trips through restore --to and through stock tar -xzf', async () => {
    const big = join(tree, 'volumes/postgres-data.bin');
    await mkdir(join(tree, 'volumes'));
    const bigSha = await writeBigFile(big, 200 * 1024 * 1024);
    const missing = join(ws.dir, 'etc/cron.d/civicq-*');
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree), `{ path: ${JSON.stringify(missing)}, optional: true }`] }));
    const source = await describeTree(tree);
    expect(source['volumes/postgres-data.bin']).toContain(`209715200 bytes mtime 1762338030 sha256 ${bigSha}`);

    const backup = await cli('backup', 'config');
    expect(backup.stderr).toBe('');
    expect(backup.exitCode).toBe(0);
    const warnings = messages(backup.stdout).filter((m) => m.startsWith('warning:'));
    expect(warnings.some((m) => m.includes(`${tree}/backend/.env.production`) && m.includes('stored unencrypted'))).toBe(true);

    const [entry, ...others] = await listed();
    expect(others).toEqual([]);
    expect(entry!.artifacts).toEqual([expect.objectContaining({ name: 'files.tar.gz', format: 'POSIX tar (tar -xzf)' })]);
    expect(entry!.facts).toMatchObject({ files: 9, directories: 10, symlinks: 3, paths: [tree], missingOptional: [missing] });
    const fileBytes = Object.values(source)
      .filter((d) => d.startsWith('file'))
      .reduce((sum, d) => sum + Number(/ (\d+) bytes/.exec(d)![1]), 0);
    expect(entry!.facts.bytes).toBe(fileBytes);
    expect(entry!.facts.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);

    const restored = join(ws.dir, 'restored');
    const restore = await cli('restore', 'config', '--to', restored);
    expect(restore.exitCode).toBe(0);
    expect(restore.stdout).toContain('"files restored"');
    expect((await stat(restored)).mode & 0o777).toBe(0o700);
    expect(await describeTree(join(restored, tree))).toEqual(source);
    await rm(restored, { recursive: true });

    // Lifeboat is never the only way back: GNU tar reads the stored artifact as is, without a warning.
    const byTar = join(ws.dir, 'by-tar');
    await mkdir(byTar);
    const tar = await run('tar', ['-xzf', artifactPath(repo, 'config', entry!.id, 'files.tar.gz'), '-C', byTar]);
    expect(tar.stderr).toBe('');
    expect(await describeTree(join(byTar, tree))).toEqual(source);
  });

  test('schedule on-change: an unchanged tree writes no backup, one changed byte does', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)] }));
    expect((await cli('backup')).exitCode).toBe(0);

    const again = await cli('backup');
    expect(again.exitCode).toBe(0);
    const first = (await listed())[0]!.id;
    expect(messages(again.stdout)).toContain(`config unchanged since backup ${first}: the file set has the same content hash as backup ${first}; no new backup needed`);
    expect(await listed()).toHaveLength(1);

    const compose = join(tree, 'docker-compose.production.yml');
    const text = await readFile(compose, 'utf8');
    await writeFile(compose, text.replace('civicq/backend', 'civicq/backenD'));
    expect((await cli('backup')).exitCode).toBe(0);
    expect(await listed()).toHaveLength(2);
  });

  test('restore --list shows the archive without extracting; --json gives the entries', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const rel = tree.slice(1);

    const human = await cli('restore', 'config', '--list');
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^backup \S+: 20 entries$/m);
    const envBytes = String((await stat(join(tree, 'backend/.env.production'))).size).padStart(12);
    expect(human.stdout).toContain(`-0600  ${envBytes}  2025-11-05T10:20:30.000Z  ${rel}/backend/.env.production`);
    expect(human.stdout).toContain(`${rel}/current.conf -> nginx/nginx.conf`);
    expect(human.stdout).toContain(`d0750             0  2025-11-05T10:20:30.000Z  ${rel}/empty`);

    const json = JSON.parse((await cli('restore', 'config', '--list', '--json')).stdout) as { entries: Array<{ path: string; type: string; linkTarget?: string }> };
    expect(json.entries).toContainEqual(expect.objectContaining({ path: `${rel}/Grüße/日本.txt`, type: 'file', bytes: 16 }));
    expect(json.entries).toContainEqual(expect.objectContaining({ path: `${rel}/hostname`, type: 'symlink', linkTarget: '/etc/hostname' }));
  });

  test('a relative --to is the caller\'s folder, not the plan\'s or the process\'s', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const caller = join(ws.dir, 'ops-home');
    await mkdir(caller);
    const run = await lifeboat(['--plan', ws.plan, 'restore', 'config', '--to', 'restored'], { lockDir: ws.lockDir, cwd: caller });
    expect(run.exitCode).toBe(0);
    expect(await readFile(join(caller, 'restored', tree.slice(1), 'backend/.env.production'), 'utf8')).toBe(await readFile(join(tree, 'backend/.env.production'), 'utf8'));
  });

  test('a target that already holds the files needs --yes; --in-place needs --yes and puts the originals back', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const source = await describeTree(tree);

    const target = join(ws.dir, 'target');
    expect((await cli('restore', 'config', '--to', target)).exitCode).toBe(0);
    const refused = await cli('restore', 'config', '--to', target);
    expect(refused.exitCode).toBe(2);
    expect(messages(refused.stdout).join('\n')).toMatch(new RegExp(`${target} already holds 11 of the 20 paths in backup \\S+ \\(.*\\); add --yes to overwrite them`));
    await writeFile(join(target, tree, 'nginx/nginx.conf'), 'damaged\n');
    expect((await cli('restore', 'config', '--to', target, '--yes')).exitCode).toBe(0);
    expect(await describeTree(join(target, tree))).toEqual(source);

    const unconfirmed = await cli('restore', 'config', '--in-place');
    expect(unconfirmed.exitCode).toBe(2);
    expect(messages(unconfirmed.stdout).join('\n')).toContain(`--in-place overwrites the original paths (${tree}) with backup`);

    // The "live" tree is damaged: a file changed, one removed, a link retargeted.
    await appendFile(join(tree, 'backend/.env.production'), 'OOPS=1\n');
    await rm(join(tree, 'nginx/ssl/civicq.key'));
    await rm(join(tree, 'current.conf'));
    await writeFile(join(tree, 'current.conf'), 'not a link any more');
    const inPlace = await cli('restore', 'config', '--in-place', '--yes');
    expect(inPlace.exitCode).toBe(0);
    expect(messages(inPlace.stdout)).toContain('restored 8 files, 9 folders, 3 symlinks into / (in place)');
    expect(await describeTree(tree)).toEqual(source);
  });

  test('a missing path fails the backup with the path in the sentence and leaves no manifest', async () => {
    const missing = join(ws.dir, 'opt/civicq/nginx/ssl-renamed');
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree), JSON.stringify(missing)] }));
    const backup = await cli('backup', 'config');
    expect(backup.exitCode).toBe(1);
    expect(messages(backup.stdout)).toContain(
      `backup of config failed: ${missing} does not exist; nothing was backed up — fix the path, or mark it { path: …, optional: true } if it may be absent`,
    );
    expect(await manifests(repo)).toEqual([]);
  });

  test('a bad glob is a plan error naming the field', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)], extra: '    exclude: ["[abc"]\n' }));
    const backup = await cli('backup', 'config');
    expect(backup.exitCode).toBe(2);
    expect(backup.stderr).toContain('lifeboat.yaml: components.config.exclude[0]: got "[abc"; expected a glob pattern');
    expect(backup.stderr).toContain('is never closed');
  });

  test('archives that try to write outside the target are refused, and nothing outside changes', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(tree)] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const [template] = await manifests(repo);
    const outside = join(ws.dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    const hostile = await hostileArchives(ws.dir, outside);

    // A symlink to a folder outside, then a file "below" it.
    await plantBackup(repo, template!, hostile.throughSymlink);
    const target = join(ws.dir, 'restored');
    const viaLink = await cli('restore', 'config', '--to', target);
    expect(viaLink.exitCode).toBe(1);
    expect(messages(viaLink.stdout).join('\n')).toContain('where the backup has a symbolic link');
    expect(await readFile(join(outside, 'passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(await readdir(outside)).toEqual(['passwd']);
    // The folder the restore created is gone again.
    await expect(stat(target)).rejects.toThrow();

    // A member named ../a/passwd: into a folder that holds something, it is refused before anything is extracted.
    await rm(join(repo, 'config/2099'), { recursive: true });
    await plantBackup(repo, template!, hostile.dotDot);
    await mkdir(join(target, 'keep'), { recursive: true });
    const dotDot = await cli('restore', 'config', '--to', target, '--yes');
    expect(dotDot.exitCode).toBe(1);
    expect(messages(dotDot.stdout).join('\n')).toContain("refusing to restore: the archive holds an entry that has the path ../a/passwd, which climbs out with '..'; nothing was extracted");
    expect(await readdir(target)).toEqual(['keep']);
    await expect(stat(join(ws.dir, 'a'))).rejects.toThrow();
  });

  test.runIf(isRoot)('restore --owner gives every restored path to one owner', async () => {
    await ws.writePlan(filesPlan({ repo, paths: [JSON.stringify(join(tree, 'nginx'))] }));
    expect((await cli('backup')).exitCode).toBe(0);
    const target = join(ws.dir, 'owned');
    expect((await cli('restore', 'config', '--to', target, '--owner', '4242:4343')).exitCode).toBe(0);
    const restored = await describeTree(join(target, tree, 'nginx'));
    for (const description of Object.values(restored)) expect(description).toContain(' 4242:4343 ');
  });
});
