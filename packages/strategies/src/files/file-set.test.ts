import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, link, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { changeOf, collectFileSet, snapshotOf, type WalkOptions } from './file-set.js';

describe('collectFileSet', () => {
  let dir: string;
  let root: string;
  const walk = (opts: Partial<WalkOptions> = {}) => collectFileSet({ roots: [root], include: [], exclude: [], followSymlinks: false, ...opts });
  const names = async (opts: Partial<WalkOptions> = {}) => (await walk(opts)).entries.map((e) => e.absolute.slice(root.length) || '/');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-fileset-'));
    root = join(dir, 'tree');
    await mkdir(join(root, 'nginx/ssl'), { recursive: true });
    await mkdir(join(root, 'cache/deep'), { recursive: true });
    await mkdir(join(root, 'empty'));
    await writeFile(join(root, 'nginx/nginx.conf'), 'server {}\n');
    await writeFile(join(root, 'nginx/ssl/site.key'), 'key');
    await writeFile(join(root, 'cache/deep/blob'), 'x'.repeat(1000));
    await writeFile(join(root, 'app.log'), 'log');
    await writeFile(join(root, '.env.production'), 'SECRET=1\n');
    await symlink('nginx/nginx.conf', join(root, 'current.conf'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('lists every entry sorted, folders before their contents, with counts and file hashes', async () => {
    const set = await walk();
    expect(set.entries.map((e) => e.absolute.slice(root.length) || '/')).toEqual([
      '/',
      '/.env.production',
      '/app.log',
      '/cache',
      '/cache/deep',
      '/cache/deep/blob',
      '/current.conf',
      '/empty',
      '/nginx',
      '/nginx/nginx.conf',
      '/nginx/ssl',
      '/nginx/ssl/site.key',
    ]);
    expect(set.counts).toEqual({ files: 5, directories: 6, symlinks: 1, bytes: 9 + 3 + 1000 + 10 + 3 });
    const conf = set.entries.find((e) => e.absolute.endsWith('nginx.conf'))!;
    expect(conf.name).toBe(conf.absolute.slice(1));
    expect(conf.sha256).toBe(createHash('sha256').update('server {}\n').digest('hex'));
    expect(set.entries.find((e) => e.type === 'symlink')!.linkTarget).toBe('nginx/nginx.conf');
    expect(set.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('the content hash is stable, and moves with content, mode, owner, mtime and names', async () => {
    const first = (await walk()).contentHash;
    expect((await walk()).contentHash).toBe(first);

    // One byte of content, with size and mtime put back: only the content differs.
    const file = join(root, 'cache/deep/blob');
    const before = await stat(file);
    await writeFile(file, 'x'.repeat(999) + 'y');
    await utimes(file, before.atime, before.mtime);
    const afterContent = (await walk()).contentHash;
    expect(afterContent).not.toBe(first);

    await chmod(file, 0o600);
    const afterMode = (await walk()).contentHash;
    expect(afterMode).not.toBe(afterContent);

    await chown(file, 1234, 1234);
    const afterOwner = (await walk()).contentHash;
    expect(afterOwner).not.toBe(afterMode);

    await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
    const afterMtime = (await walk()).contentHash;
    expect(afterMtime).not.toBe(afterOwner);

    await rm(join(root, 'current.conf'));
    await symlink('nginx/ssl/site.key', join(root, 'current.conf'));
    expect((await walk()).contentHash).not.toBe(afterMtime);
  });

  test('exclude: names at any depth, paths below the listed folder, absolute paths; excluded folders are not entered', async () => {
    expect(await names({ exclude: ['*.log', 'cache/**', `${root}/nginx/ssl`] })).toEqual([
      '/',
      '/.env.production',
      '/cache',
      '/current.conf',
      '/empty',
      '/nginx',
      '/nginx/nginx.conf',
    ]);
    expect(await names({ exclude: ['cache'] })).not.toContain('/cache/deep/blob');
  });

  test('include: only what matches, with the folders that lead to it; a matching folder brings everything in it', async () => {
    expect(await names({ include: ['*.conf'] })).toEqual(['/', '/current.conf', '/nginx', '/nginx/nginx.conf']);
    expect(await names({ include: ['nginx/**'] })).toEqual(['/', '/nginx', '/nginx/nginx.conf', '/nginx/ssl', '/nginx/ssl/site.key']);
    expect(await names({ include: ['ssl', 'empty'] })).toEqual(['/', '/empty', '/nginx', '/nginx/ssl', '/nginx/ssl/site.key']);
    expect(await names({ include: ['nginx'], exclude: ['*.key'] })).toEqual(['/', '/nginx', '/nginx/nginx.conf', '/nginx/ssl']);
  });

  test('a listed path is archived even when a pattern would leave it out', async () => {
    const set = await collectFileSet({ roots: [root, join(root, 'app.log')], include: [], exclude: ['*.log'], followSymlinks: false });
    expect(set.entries.map((e) => e.absolute)).toContain(join(root, 'app.log'));
  });

  test('hard links are two files with one hash; FIFOs are left out with a reason', async () => {
    await link(join(root, 'app.log'), join(root, 'app-hardlink.log'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const set = await walk();
    const [a, b] = set.entries.filter((e) => e.absolute.includes('app'));
    expect(a!.sha256).toBe(b!.sha256);
    expect(set.counts.files).toBe(6);
    expect(set.skipped).toEqual([{ path: join(root, 'pipe'), reason: 'a named pipe (FIFO)' }]);
  });

  test('followSymlinks archives what links point to, and leaves a loop out', async () => {
    await symlink(join(root, 'nginx'), join(root, 'nginx-link'));
    await symlink('..', join(root, 'nginx/up'));
    const set = await walk({ followSymlinks: true });
    const byPath = new Map(set.entries.map((e) => [e.absolute.slice(root.length), e.type]));
    expect(byPath.get('/nginx-link')).toBe('directory');
    expect(byPath.get('/nginx-link/nginx.conf')).toBe('file');
    expect(byPath.get('/current.conf')).toBe('file');
    expect(set.skipped.map((s) => s.reason)).toContain('a symlink loop (it leads back to a folder above it)');
  });

  test('a name that is not UTF-8 is refused with its folder named', async () => {
    await writeFile(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), '');
    await expect(walk()).rejects.toThrow(`${root}/bad-ÿþ has a name that is not valid UTF-8`);
  });

  test.runIf(process.getuid?.() !== 0)('an unreadable file fails the walk, naming it', async () => {
    await chmod(join(root, 'app.log'), 0o000);
    await expect(walk()).rejects.toThrow(`cannot read ${join(root, 'app.log')}: permission denied`);
  });

  test('changeOf tells a replaced, resized or modified file from an unchanged one', async () => {
    const file = join(root, 'app.log');
    const snap = snapshotOf(await stat(file));
    expect(changeOf(snap, await stat(file))).toBeUndefined();
    await writeFile(file, 'longer log');
    expect(changeOf(snap, await stat(file))).toBe('changed size from 3 to 10 bytes');
    expect(changeOf(snap, await stat(join(root, '.env.production')))).toBe('was replaced by another file');
    const same = snapshotOf(await stat(file));
    await writeFile(file, 'LONGER LOG');
    await utimes(file, new Date(), new Date(same.mtimeMs));
    expect(changeOf(same, await stat(file))).toBe('was modified');
  });
});
