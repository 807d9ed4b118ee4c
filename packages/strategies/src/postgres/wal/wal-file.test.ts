import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { walFileOf } from '../base-backup.js';
import { parseWalFileName, readSegmentHeader, readWalFile } from './wal-file.js';

/** The first 40 bytes of a segment's long page header: magic, info (long header), timeline, …, sysid at 24, seg size at 32. */
function header(opts: { timeline: number; sysid: bigint; segmentBytes?: number; long?: boolean }): Buffer {
  const page = Buffer.alloc(8192);
  page.writeUInt16LE(0xd110, 0);
  page.writeUInt16LE(opts.long === false ? 0 : 0x0002, 2);
  page.writeUInt32LE(opts.timeline, 4);
  page.writeBigUInt64LE(opts.sysid, 24);
  page.writeUInt32LE(opts.segmentBytes ?? 16 * 1024 * 1024, 32);
  return page;
}

test('WAL file names: segments, partials, backup and history files; anything else is not one', () => {
  expect(parseWalFileName('000000020000000A000000FF')).toMatchObject({ kind: 'segment', timeline: 2, timelineHex: '00000002', log: 10, seg: 255 });
  expect(parseWalFileName('000000010000000000000003.partial')).toMatchObject({ kind: 'partial', timeline: 1 });
  expect(parseWalFileName('000000010000000000000002.00000028.backup')).toMatchObject({ kind: 'backup', timeline: 1, seg: 2 });
  expect(parseWalFileName('0000000A.history')).toMatchObject({ kind: 'history', timeline: 10 });
  for (const bad of ['00000001000000000000000', 'RECOVERYXLOG', '000000010000000000000003.gz', '../00000002.history', '0000000a.history']) {
    expect(parseWalFileName(bad)).toBeUndefined();
  }
});

test('the segment header gives the cluster (xlp_sysid at offset 24) and the segment size; a page without a long header is refused', () => {
  expect(readSegmentHeader(header({ timeline: 3, sysid: 7442512345678901234n }), 'x')).toEqual({
    systemIdentifier: '7442512345678901234',
    timeline: 3,
    segmentBytes: 16 * 1024 * 1024,
  });
  expect(() => readSegmentHeader(header({ timeline: 1, sysid: 1n, long: false }), 'pg_wal/x')).toThrow('pg_wal/x does not start with a WAL segment header');
  expect(() => readSegmentHeader(Buffer.alloc(10), 'pg_wal/x')).toThrow('too short');
});

test('readWalFile: a segment names its cluster itself; a history file takes it from pg_control; a header on a newer timeline than the name is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'walfile-'));
  try {
    await mkdir(join(dir, 'pg_wal'));
    await mkdir(join(dir, 'global'));
    const control = Buffer.alloc(16);
    control.writeBigUInt64LE(99n, 0);
    await writeFile(join(dir, 'global', 'pg_control'), control);
    await writeFile(join(dir, 'pg_wal', '000000010000000000000001'), header({ timeline: 1, sysid: 42n }));
    await writeFile(join(dir, 'pg_wal', '000000020000000000000001'), header({ timeline: 1, sysid: 42n }));
    await writeFile(join(dir, 'pg_wal', '000000010000000000000002'), header({ timeline: 2, sysid: 42n }));
    await writeFile(join(dir, 'pg_wal', '00000002.history'), '1\t0/3000000\tno recovery target specified\n');
    expect(await readWalFile('pg_wal/000000010000000000000001', dir)).toMatchObject({ systemIdentifier: '42', kind: 'segment' });
    expect(await readWalFile(join(dir, 'pg_wal', '000000010000000000000001'), join(dir, 'global'))).toMatchObject({ systemIdentifier: '42' });
    expect(await readWalFile('pg_wal/00000002.history', dir)).toMatchObject({ systemIdentifier: '99', kind: 'history', timeline: 2 });
    // A new timeline's first segment begins with its parent's pages (PostgreSQL copies them at the switch).
    expect(await readWalFile('pg_wal/000000020000000000000001', dir)).toMatchObject({ systemIdentifier: '42', timeline: 2 });
    await expect(readWalFile('pg_wal/000000010000000000000002', dir)).rejects.toThrow('named for timeline 1 but its header says timeline 2');
    await expect(readWalFile('pg_wal/000000010000000000000009', dir)).rejects.toThrow('cannot read pg_wal/000000010000000000000009: no such file');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the WAL file holding a stop LSN', () => {
  expect(walFileOf(1, '0/2000100', 16 * 1024 * 1024)).toBe('000000010000000000000002');
  expect(walFileOf(1, '0/3000000', 16 * 1024 * 1024)).toBe('000000010000000000000002');
  expect(walFileOf(2, '1/0000001', 16 * 1024 * 1024)).toBe('000000020000000100000000');
  expect(walFileOf(1, '0/80000001', 1024 * 1024 * 1024)).toBe('000000010000000000000002');
});
