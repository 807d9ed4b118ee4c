import { Readable } from 'node:stream';
import { Header, type HeaderData } from 'tar';
import { describe, expect, test } from 'vitest';
import { compareCounts, countArchive } from './check.js';

function tar(entries: Array<HeaderData & { content?: string }>): Readable {
  const blocks: Buffer[] = [];
  for (const { content = '', ...data } of entries) {
    const header = new Header({ mode: 0o644, mtime: new Date(0), size: Buffer.byteLength(content), ...data });
    header.encode();
    blocks.push(header.block!, Buffer.from(content), Buffer.alloc((512 - (Buffer.byteLength(content) % 512)) % 512));
  }
  return Readable.from([Buffer.concat([...blocks, Buffer.alloc(1024)])]);
}

describe('countArchive / compareCounts', () => {
  const archive = () =>
    tar([
      { path: 'etc/', type: 'Directory' },
      { path: 'etc/a', type: 'File', content: 'hello' },
      { path: 'etc/b', type: 'Link', linkpath: 'etc/a' },
      { path: 'etc/c', type: 'SymbolicLink', linkpath: 'a' },
    ]);

  test('counts entries by kind, hard links as files whose bytes are stored once', async () => {
    expect(await countArchive(archive())).toEqual({ entries: 4, files: 2, directories: 1, symlinks: 1, archivedBytes: 5 });
  });

  test('passes when the recorded facts agree, names every difference when they do not', async () => {
    const counts = await countArchive(archive());
    expect(() => compareCounts(counts, { entries: 4, files: 2, directories: 1, symlinks: 1, archivedBytes: 5, contentHash: 'x' })).not.toThrow();
    expect(() => compareCounts(counts, {})).not.toThrow();
    expect(() => compareCounts(counts, { files: 3, archivedBytes: 6 })).toThrow('files.tar.gz does not hold what was archived: files 2 (expected 3), archivedBytes 5 (expected 6)');
  });

  test('a truncated archive is an error, not a short count', async () => {
    const whole = Buffer.concat(await archive().toArray());
    await expect(countArchive(Readable.from([whole.subarray(0, 700)]))).rejects.toThrow(/not a readable tar file/);
  });
});
