import { appendFile, chown, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { archiveStream } from './archive.js';
import { readEntries } from './contents.js';
import { collectFileSet } from './file-set.js';

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('archiveStream', () => {
  let dir: string;
  let root: string;
  const walk = () => collectFileSet({ roots: [root], include: [], exclude: [], followSymlinks: false });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-archive-'));
    root = join(dir, 'tree');
    await mkdir(join(root, 'empty'), { recursive: true });
    await writeFile(join(root, 'a.conf'), 'a = 1\n', { mode: 0o640 });
    await writeFile(join(root, 'b.conf'), 'b = 2\n');
    await link(join(root, 'b.conf'), join(root, 'b-hardlink.conf'));
    await symlink('/etc/hostname', join(root, 'abs-link'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('holds exactly the walked entries, in order, as absolute paths without the leading /', async () => {
    if (process.getuid?.() === 0) await chown(join(root, 'a.conf'), 1234, 2345);
    const set = await walk();
    const tar = await drain(archiveStream(set, { followSymlinks: false }));
    const entries = await readEntries(Readable.from([tar]));
    const rel = root.slice(1);
    expect(entries.map((e) => [e.path, e.type])).toEqual([
      [`${rel}/`, 'Directory'],
      [`${rel}/a.conf`, 'File'],
      [`${rel}/abs-link`, 'SymbolicLink'],
      [`${rel}/b-hardlink.conf`, 'File'],
      [`${rel}/b.conf`, 'Link'],
      [`${rel}/empty/`, 'Directory'],
    ]);
    const a = entries.find((e) => e.path.endsWith('a.conf'))!;
    expect(a.mode & 0o777).toBe(0o640);
    if (process.getuid?.() === 0) expect([a.uid, a.gid]).toEqual([1234, 2345]);
    expect(entries.find((e) => e.type === 'SymbolicLink')!.linkpath).toBe('/etc/hostname');
    expect(entries.find((e) => e.type === 'Link')!.linkpath).toBe(`${rel}/b-hardlink.conf`);
    // No SCHILY.dev/ino/nlink pax keys (GNU tar warns about each) and no user name taken from $USER.
    expect(tar.includes('SCHILY.')).toBe(false);
  });

  test('a file that changes after it was hashed fails the stream, naming it', async () => {
    const set = await walk();
    await appendFile(join(root, 'a.conf'), 'more\n');
    await expect(drain(archiveStream(set, { followSymlinks: false }))).rejects.toThrow(
      new RegExp(`${join(root, 'a.conf')} (shrank|changed size from 6 to 11 bytes|was modified) while it was being`),
    );
  });

  test('a file that is modified in place (same size) fails the stream too', async () => {
    const set = await walk();
    await writeFile(join(root, 'a.conf'), 'a = 2\n');
    await expect(drain(archiveStream(set, { followSymlinks: false }))).rejects.toThrow(`${join(root, 'a.conf')} was modified while it was being backed up; nothing was stored`);
  });

  test('a file removed after the walk fails the stream, naming it', async () => {
    const set = await walk();
    await rm(join(root, 'a.conf'));
    await expect(drain(archiveStream(set, { followSymlinks: false }))).rejects.toThrow(`${join(root, 'a.conf')} disappeared while it was being backed up`);
  });
});
