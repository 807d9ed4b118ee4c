/**
 * Issue 13: the base backup is laid out as it is proven, by Lifeboat's own
 * reader of pg_basebackup's tar. It must lay out exactly what GNU tar would
 * (names, content, permission bits, links), hold PG_VERSION back until the
 * proof has passed, and refuse anything that could write outside the folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, lstatSync, readlinkSync, writeFileSync, chmodSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { BaseLayout, HELD_BACK } from './base-layout.js';

const fresh = (label: string) => scratchDir(`base-layout-${label}-`);

/** A tree like a data directory's: nested folders, files of several sizes and modes, an empty one, a link. */
function sourceTree(): string {
  const dir = fresh('src');
  mkdirSync(join(dir, 'base/1'), { recursive: true });
  mkdirSync(join(dir, 'global'));
  mkdirSync(join(dir, 'pg_wal/archive_status'), { recursive: true });
  mkdirSync(join(dir, 'pg_tblspc'));
  writeFileSync(join(dir, 'PG_VERSION'), '15\n');
  writeFileSync(join(dir, 'backup_label'), 'START WAL LOCATION: 0/2000028\n');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  writeFileSync(join(dir, 'base/1/16384'), big);
  writeFileSync(join(dir, 'base/1/16385'), Buffer.alloc(8192, 3));
  writeFileSync(join(dir, 'base/1/empty'), '');
  writeFileSync(join(dir, 'global/pg_control'), Buffer.alloc(8192, 9));
  chmodSync(join(dir, 'global/pg_control'), 0o640);
  chmodSync(join(dir, 'base/1/16384'), 0o600);
  chmodSync(join(dir, 'base'), 0o750);
  symlinkSync('/somewhere/else', join(dir, 'pg_tblspc/16400'));
  return dir;
}

function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['--format=ustar', '-cf', '-', '-C', dir, '.'].filter((a) => a !== '.').concat(readdirSync(dir).sort()), { maxBuffer: 64 * 1024 * 1024 });
}

/** Feeds `bytes` in pieces of `piece` bytes. */
function pieces(bytes: Buffer, piece: number): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= bytes.length) return this.push(null);
      this.push(bytes.subarray(at, at + piece));
      at += piece;
    },
  });
}

/** Every entry below `dir`: type, mode bits, content or link target. */
function describeTree(dir: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, under)).sort()) {
    const rel = under ? `${under}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(join(dir, rel))}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode}`;
      Object.assign(out, describeTree(dir, rel));
    } else out[rel] = `file ${mode} ${readFileSync(join(dir, rel)).toString('base64').slice(0, 40)} ${st.size}`;
  }
  return out;
}

/** Every entry below `dir` and its owner (of a link, the link's own). */
function ownersOf(dir: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, under))) {
    const rel = under ? `${under}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    out[rel] = `${st.uid}:${st.gid}`;
    if (st.isDirectory()) Object.assign(out, ownersOf(dir, rel));
  }
  return out;
}

async function layOut(tar: Buffer, piece = 64 * 1024): Promise<{ dir: string; layout: BaseLayout }> {
  const dir = fresh('dst');
  const layout = new BaseLayout(dir);
  await pipeline(pieces(tar, piece), layout);
  return { dir, layout };
}

/** A ustar header block (what PostgreSQL's tarCreateHeader writes), with a correct checksum unless told. */
function header(name: string, opts: { type?: string; size?: number; mode?: number; link?: string; badSum?: boolean; base256Size?: number } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(`${(opts.mode ?? 0o600).toString(8).padStart(7, '0')}\0`, 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  if (opts.base256Size !== undefined) {
    b[124] = 0x80;
    b.writeUIntBE(opts.base256Size, 136 - 6, 6);
  } else b.write(`${(opts.size ?? 0).toString(8).padStart(11, '0')}\0`, 124);
  b.write('00000000000\0', 136);
  b.write(opts.type ?? '0', 156);
  if (opts.link) b.write(opts.link, 157);
  b.write('ustar\0', 257);
  b.write('00', 263);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${(opts.badSum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148);
  return b;
}

const member = (name: string, content: Buffer | string, opts: Parameters<typeof header>[1] = {}) => {
  const body = Buffer.from(content);
  return Buffer.concat([header(name, { ...opts, size: body.length }), body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
};
const END = Buffer.alloc(1024);

describe('BaseLayout: pg_basebackup tar laid out as it streams', () => {
  it('lays out what GNU tar made, byte for byte and mode for mode, however the bytes arrive; PG_VERSION only at finish()', async () => {
    const src = sourceTree();
    const tar = tarOf(src);
    const expected = describeTree(src);
    for (const piece of [511, 513, 4099, 64 * 1024, tar.length]) {
      const { dir, layout } = await layOut(tar, piece);
      expect(existsSync(join(dir, HELD_BACK)), `piece ${piece}: held back`).toBe(false);
      layout.finish();
      // The 3 MiB file was flushed to disk in the background.
      await layout.flushed();
      expect(describeTree(dir), `piece ${piece}`).toEqual(expected);
    }
  });

  // Root restores for the server's OS user: everything made is that user's as it is made (no chown -R pass after).
  it('gives every file, folder (those a name implies too) and link the owner it was given; without one, leaves them as made', async () => {
    const owner = { uid: 65534, gid: 65534 };
    // A first member whose folders no entry names (made as its parents), then a whole tree.
    const tar = Buffer.concat([member('base/2/deep/16386', 'x'), tarOf(sourceTree())]);
    const me = `${process.getuid!()}:${process.getgid!()}`;
    if (me !== '0:0') {
      // Only root may give files away: elsewhere the layout stops with the system's refusal, which shows it tries.
      await expect(pipeline(pieces(tar, 4099), new BaseLayout(fresh('owned'), { owner }))).rejects.toThrow(/operation not permitted/);
    } else {
      const dir = fresh('owned');
      const layout = new BaseLayout(dir, { owner });
      await pipeline(pieces(tar, 4099), layout);
      layout.finish();
      await layout.flushed();
      const owners = ownersOf(dir);
      expect(Object.keys(owners)).toEqual(expect.arrayContaining(['PG_VERSION', 'base/2', 'base/2/deep', 'base/2/deep/16386', 'pg_tblspc/16400', 'base/1/16384']));
      expect(Object.entries(owners).filter(([, o]) => o !== '65534:65534')).toEqual([]);
    }

    const plain = fresh('unowned');
    const unowned = new BaseLayout(plain);
    await pipeline(pieces(tar, 4099), unowned);
    unowned.finish();
    await unowned.flushed();
    expect(new Set(Object.values(ownersOf(plain)))).toEqual(new Set([me]));
  });

  it('takes a tar arriving one byte at a time', async () => {
    const src = fresh('small');
    mkdirSync(join(src, 'global'));
    writeFileSync(join(src, 'PG_VERSION'), '15\n');
    writeFileSync(join(src, 'global/pg_control'), Buffer.alloc(700, 5));
    const { dir, layout } = await layOut(tarOf(src), 1);
    layout.finish();
    expect(describeTree(dir)).toEqual(describeTree(src));
  });

  it('matches what GNU tar itself lays out from the same tar', async () => {
    const src = sourceTree();
    const tar = tarOf(src);
    const byTar = fresh('gnu');
    execFileSync('tar', ['-xf', '-', '-C', byTar], { input: tar });
    const { dir, layout } = await layOut(tar);
    layout.finish();
    expect(describeTree(dir)).toEqual(describeTree(byTar));
  });

  it('finish() before the whole tar was read, or a tar without PG_VERSION, is refused', async () => {
    const dir = fresh('early');
    const layout = new BaseLayout(dir);
    expect(() => layout.finish()).toThrow(/was not laid out whole/);
    const { layout: noVersion } = await layOut(Buffer.concat([member('backup_label', 'x'), END]));
    expect(() => noVersion.finish()).toThrow(/holds no PG_VERSION: it is not a PostgreSQL data directory/);
  });

  it("takes ./ before a name, as PostgreSQL writes ./pg_wal/archive_status/", async () => {
    const tar = Buffer.concat([header('./pg_wal/', { type: '5', mode: 0o700 }), header('./pg_wal/archive_status/', { type: '5', mode: 0o700 }), member('PG_VERSION', '15\n'), END]);
    const { dir, layout } = await layOut(tar);
    layout.finish();
    expect(describeTree(dir)).toEqual({ PG_VERSION: 'file 600 MTUK 3', pg_wal: 'dir 700', 'pg_wal/archive_status': 'dir 700' });
  });

  it('reads base-256 sizes, as PostgreSQL writes them for files over 8 GiB', async () => {
    const body = Buffer.from('eleven byte');
    const tar = Buffer.concat([header('big', { base256Size: body.length }), body, Buffer.alloc(512 - body.length), member('PG_VERSION', '15\n'), END]);
    const { dir, layout } = await layOut(tar);
    layout.finish();
    expect(readFileSync(join(dir, 'big'), 'utf8')).toBe('eleven byte');
  });

  const refusals: [string, Buffer, RegExp][] = [
    ['a name with ..', Buffer.concat([member('../escaped', 'x'), END]), /the name '\.\.\/escaped', which would land outside the data directory/],
    ['a name inside with ..', Buffer.concat([member('base/../../escaped', 'x'), END]), /would land outside the data directory/],
    ['an absolute name', Buffer.concat([member('/tmp/base-layout-absolute', 'x'), END]), /the name '\/tmp\/base-layout-absolute'/],
    [
      'a file through a link the tar made',
      Buffer.concat([member('pg_tblspc/1', '', { type: '2', link: '/tmp' }), member('pg_tblspc/1/escaped', 'x'), END]),
      /puts pg_tblspc\/1\/escaped under pg_tblspc\/1, a symbolic link: refused/,
    ],
    ['a name twice', Buffer.concat([member('a', 'x'), member('a', 'y'), END]), /holds a twice/],
    ['a hard link', Buffer.concat([member('a', 'x'), member('b', '', { type: '1', link: 'a' }), END]), /holds b of tar type '1', which pg_basebackup never writes/],
    ['a pax header', Buffer.concat([member('./PaxHeaders/a', '30 path=../../etc/passwd\n', { type: 'x' }), END]), /tar type 'x'/],
    ['a device', Buffer.concat([member('dev', '', { type: '3' }), END]), /tar type '3'/],
    ['a damaged header', Buffer.concat([header('a', { badSum: true, size: 0 }), END]), /damaged header \(checksum/],
    ['a tar cut inside a file', Buffer.concat([header('a', { size: 2000 }), Buffer.alloc(700, 1)]), /ends inside a: it is cut short/],
    ['a tar without its end blocks', member('a', 'x'), /has no end-of-archive blocks: it is cut short/],
    ['data after the end blocks', Buffer.concat([member('a', 'x'), END, member('b', 'y')]), /holds data after its end-of-archive blocks/],
  ];
  for (const [what, tar, message] of refusals) {
    it(`refuses ${what}, and nothing lands outside the folder`, async () => {
      const parent = fresh('parent');
      const dir = join(parent, 'data');
      mkdirSync(dir);
      const layout = new BaseLayout(dir);
      await expect(pipeline(pieces(tar, 300), layout)).rejects.toThrow(message);
      expect(readdirSync(parent)).toEqual(['data']);
      expect(existsSync('/tmp/base-layout-absolute')).toBe(false);
      expect(existsSync('/tmp/escaped')).toBe(false);
    });
  }
});
