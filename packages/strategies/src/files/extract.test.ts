import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Header, type HeaderData } from 'tar';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { extractArchive } from './extract.js';

type Crafted = HeaderData & { path: string; content?: string };

/** A tar stream written header by header, so it can say what no honest archiver would. */
function craft(entries: Crafted[]): Readable {
  const blocks: Buffer[] = [];
  for (const { content, ...data } of entries) {
    const body = Buffer.from(content ?? '');
    const header = new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date('2026-01-02T03:04:05Z'), size: body.length, type: 'File', ...data });
    header.encode();
    blocks.push(header.block!);
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Readable.from([Buffer.concat(blocks)]);
}

const isRoot = process.getuid?.() === 0;

describe('extractArchive', () => {
  let dir: string;
  let target: string;
  let outside: string;
  const outsideNames = () => readdir(outside);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-extract-'));
    target = join(dir, 'target');
    outside = join(dir, 'outside');
    await mkdir(target);
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'do not touch');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('a symlink to a folder outside, followed by a file below it, writes nothing outside', async () => {
    const archive = craft([
      { path: 'a', type: 'SymbolicLink', linkpath: outside },
      { path: 'a/passwd', content: 'root::0:0::/:/bin/sh\n' },
    ]);
    await expect(extractArchive(archive, { root: target })).rejects.toThrow(/has a folder with files in it where the backup has a symbolic link/);
    expect(await outsideNames()).toEqual(['secret']);
    // The file went into a real folder inside the target.
    expect((await lstat(join(target, 'a'))).isDirectory()).toBe(true);
  });

  test('the same through a relative link (../outside) writes nothing outside', async () => {
    const archive = craft([
      { path: 'a', type: 'SymbolicLink', linkpath: '../outside' },
      { path: 'a/passwd', content: 'x' },
    ]);
    await expect(extractArchive(archive, { root: target })).rejects.toThrow();
    expect(await outsideNames()).toEqual(['secret']);
  });

  test('a link already in the target is never written through', async () => {
    await symlink(outside, join(target, 'a'));
    const archive = craft([{ path: 'a/passwd', content: 'x' }]);
    await expect(extractArchive(archive, { root: target })).rejects.toThrow(/a\/passwd: .*symbolic link/);
    expect(await outsideNames()).toEqual(['secret']);
  });

  test('a folder the archive describes replaces a link in its place, so nothing lands outside', async () => {
    await symlink(outside, join(target, 'd'));
    await extractArchive(craft([{ path: 'd/', type: 'Directory', mode: 0o755 }, { path: 'd/f', content: 'inside' }]), { root: target });
    expect((await lstat(join(target, 'd'))).isDirectory()).toBe(true);
    expect(await readFile(join(target, 'd/f'), 'utf8')).toBe('inside');
    expect(await outsideNames()).toEqual(['secret']);
  });

  test('in place, folders the archive does not describe may be links (the system\'s own layout), as with GNU tar', async () => {
    // /var/lib/docker -> /data/docker, say: the archive holds var/lib/docker/volumes/x but not var/lib/docker itself.
    const real = join(dir, 'real-docker');
    await mkdir(real);
    await symlink(real, join(target, 'docker'));
    const rel = join(target, 'docker').slice(1);
    await extractArchive(craft([{ path: `${rel}/volumes/`, type: 'Directory', mode: 0o700 }, { path: `${rel}/volumes/data`, content: 'volume' }]), { root: '/' });
    expect(await readFile(join(real, 'volumes/data'), 'utf8')).toBe('volume');
    expect((await lstat(join(real, 'volumes'))).mode & 0o777).toBe(0o700);
    // Into a folder (--to), the same link is refused.
    await expect(extractArchive(craft([{ path: 'docker/volumes/data', content: 'volume' }]), { root: target })).rejects.toThrow('is a symbolic link, and a restore never writes through one');
  });

  test('a hard link through a link in the archive links nothing outside', async () => {
    const archive = craft([
      { path: 'a', type: 'SymbolicLink', linkpath: outside },
      { path: 'h', type: 'Link', linkpath: 'a/secret' },
    ]);
    await expect(extractArchive(archive, { root: target })).rejects.toThrow(/could not be restored/);
    expect((await stat(join(outside, 'secret'))).nlink).toBe(1);
  });

  test.each([
    [[{ path: '../escape', content: 'x' }], "has the path ../escape, which climbs out with '..'"],
    [[{ path: 'ok', content: 'x' }, { path: 'a/../../escape', content: 'x' }], "has the path a/../../escape, which climbs out with '..'"],
    [[{ path: '/abs-escape', content: 'x' }], 'has the absolute path /abs-escape'],
    [[{ path: 'h', type: 'Link' as const, linkpath: '/etc/passwd' }], 'is a hard link (h) to the absolute path /etc/passwd'],
    [[{ path: 'h', type: 'Link' as const, linkpath: '../outside/secret' }], "is a hard link (h) to ../outside/secret, which climbs out with '..'"],
  ])('refuses %j rather than rewriting it', async (entries, message) => {
    await expect(extractArchive(craft(entries), { root: target })).rejects.toThrow(`refusing to restore: the archive holds an entry that ${message}`);
    expect((await readdir(dir)).sort()).toEqual(['outside', 'target']);
    expect(await outsideNames()).toEqual(['secret']);
  });

  test('modes come back exactly, whatever the umask, and folder mtimes survive their contents', async () => {
    const mtime = new Date('2025-06-07T08:09:10Z');
    const archive = craft([
      { path: 'ro/', type: 'Directory', mode: 0o555, mtime },
      { path: 'ro/world-writable', mode: 0o666, content: 'w' },
      { path: 'ro/group', mode: 0o640, content: 'g' },
      { path: 'ro/setuid', mode: 0o4755, content: 's' },
      { path: 'ro/link', type: 'SymbolicLink', linkpath: 'group', mtime },
    ]);
    const previous = process.umask(0o027);
    let result;
    try {
      result = await extractArchive(archive, { root: target });
    } finally {
      process.umask(previous);
    }
    expect(result.restored).toEqual({ files: 3, directories: 1, symlinks: 1, bytes: 3 });
    const mode = async (p: string) => (await lstat(join(target, p))).mode & 0o7777;
    expect(await mode('ro')).toBe(0o555);
    expect(await mode('ro/world-writable')).toBe(0o666);
    expect(await mode('ro/group')).toBe(0o640);
    expect(await mode('ro/setuid')).toBe(0o4755);
    expect((await lstat(join(target, 'ro'))).mtime.toISOString()).toBe(mtime.toISOString());
    expect((await lstat(join(target, 'ro/link'))).mtime.toISOString()).toBe(mtime.toISOString());
    expect(await readlink(join(target, 'ro/link'))).toBe('group');
  });

  test('the last entry for a path wins, as with tar', async () => {
    const archive = craft([
      { path: 'x', content: 'file first' },
      { path: 'x', type: 'SymbolicLink', linkpath: 'elsewhere' },
      { path: 'y', type: 'SymbolicLink', linkpath: 'elsewhere' },
      { path: 'y', content: 'file last' },
    ]);
    await extractArchive(archive, { root: target });
    expect(await readlink(join(target, 'x'))).toBe('elsewhere');
    expect(await readFile(join(target, 'y'), 'utf8')).toBe('file last');
  });

  test('devices and FIFOs are skipped and reported', async () => {
    const archive = craft([
      { path: 'fifo', type: 'FIFO' },
      { path: 'kept', content: 'k' },
    ]);
    const result = await extractArchive(archive, { root: target });
    expect(result.skipped).toEqual(['fifo (FIFO)']);
    expect(await readdir(target)).toEqual(['kept']);
  });

  test.runIf(isRoot)('as root, owners are kept (symlinks too); --owner gives everything to one owner', async () => {
    const entries: Crafted[] = [
      { path: 'd/', type: 'Directory', uid: 1234, gid: 2345, mode: 0o750 },
      { path: 'd/f', uid: 1234, gid: 2345, content: 'f' },
      { path: 'd/l', type: 'SymbolicLink', linkpath: 'f', uid: 1234, gid: 2345 },
    ];
    await extractArchive(craft(entries), { root: target });
    for (const p of ['d', 'd/f', 'd/l']) expect((await lstat(join(target, p))).uid).toBe(1234);
    expect((await lstat(join(target, 'd/l'))).gid).toBe(2345);

    const other = join(dir, 'owned');
    await mkdir(other);
    await extractArchive(craft(entries), { root: other, owner: { uid: 4321, gid: 5432 } });
    for (const p of ['d', 'd/f', 'd/l']) {
      const st = await lstat(join(other, p));
      expect([st.uid, st.gid]).toEqual([4321, 5432]);
    }
  });

  test('an archive cut between two entries is an error, not a smaller restore', async () => {
    const whole = Buffer.concat(await craft([{ path: 'a', content: 'a' }, { path: 'b', content: 'b' }]).toArray());
    await expect(extractArchive(Readable.from([whole.subarray(0, 1024)]), { root: target })).rejects.toThrow("ends without tar's end-of-archive marker");
  });

  test('a stream that fails midway fails the extraction with its own error', async () => {
    const input = new PassThrough();
    const header = new Header({ path: 'big', type: 'File', size: 4096, mode: 0o644, mtime: new Date() });
    header.encode();
    input.write(header.block!);
    input.write(Buffer.alloc(1024));
    setImmediate(() => input.destroy(new Error('backup.tar.gz in destination local is damaged')));
    await expect(extractArchive(input, { root: target })).rejects.toThrow('backup.tar.gz in destination local is damaged');
  });
});
