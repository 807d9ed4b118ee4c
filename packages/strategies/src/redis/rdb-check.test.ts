import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { crc64 } from './crc64.js';
import { InvalidRdbError, RdbCheck, parseRdbHeader, type RdbCheckResult } from './rdb-check.js';

/** Written by Redis 7.0.15 from testdata/redis-7.0-all-types.sh; `redis-check-rdb` reads 22 keys, 4 expires. */
const FIXTURE = readFileSync(new URL('./testdata/redis-7.0-all-types.rdb', import.meta.url));

/** Streams `bytes` through an RdbCheck in chunks of `chunk` bytes; resolves with its result. */
async function check(bytes: Buffer, chunk = 64 * 1024): Promise<RdbCheckResult> {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  const checker = new RdbCheck('the test RDB');
  let passed = 0;
  await pipeline(
    Readable.from(parts),
    checker,
    new Writable({
      write(c: Buffer, _e, cb) {
        passed += c.length;
        cb();
      },
    }),
  );
  expect(passed).toBe(bytes.length);
  return checker.result;
}

/** The fixture with the footer set to 0, as Redis writes it with `rdbchecksum no`. */
function withoutChecksum(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.fill(0, copy.length - 8);
  return copy;
}

describe('parseRdbHeader', () => {
  test('reads the version after the REDIS magic', () => {
    expect(parseRdbHeader(Buffer.from('REDIS0010\xfa', 'latin1'))).toBe(10);
    expect(parseRdbHeader(Buffer.from('REDIS0006'))).toBe(6);
    expect(parseRdbHeader(FIXTURE)).toBe(10);
  });

  test('refuses anything else', () => {
    expect(parseRdbHeader(Buffer.from('REDIS001'))).toBeUndefined();
    expect(parseRdbHeader(Buffer.from('redis0010'))).toBeUndefined();
    expect(parseRdbHeader(Buffer.from('REDIS00a0'))).toBeUndefined();
    expect(parseRdbHeader(Buffer.from('\x1f\x8b\x08\x00\x00\x00\x00\x00\x00', 'latin1'))).toBeUndefined();
  });
});

describe('RdbCheck on an RDB written by Redis 7.0', () => {
  test('accepts it, with its CRC64, key counts per database and AUX fields', async () => {
    const result = await check(FIXTURE);
    expect(result.version).toBe(10);
    expect(result.bytes).toBe(FIXTURE.length);
    // Redis's footer is the CRC of everything before it: a real-world test vector for crc64.ts.
    expect(crc64(FIXTURE.subarray(0, -8))).toBe(FIXTURE.readBigUInt64LE(FIXTURE.length - 8));
    expect(result.checksum).toEqual({ state: 'ok', crc64: FIXTURE.readBigUInt64LE(FIXTURE.length - 8).toString(16).padStart(16, '0') });
    expect(result.scan).toMatchObject({
      state: 'complete',
      eofOffset: FIXTURE.length - 9,
      keys: { 0: 19, 3: 2, 15: 1 },
      expires: { 0: 3, 3: 1 },
    });
    expect(result.scan.aux['redis-ver']).toBe('7.0.15');
    expect(Number(result.scan.aux.ctime)).toBeGreaterThan(1_700_000_000);
  });

  test('gives the same result whatever the chunk sizes, down to one byte', async () => {
    const whole = await check(FIXTURE);
    for (const size of [1, 2, 7, 9, 10, 13, 512]) expect(await check(FIXTURE, size)).toEqual(whole);
  });

  test('refuses it cut short at any point, saying it is truncated', async () => {
    const cuts = [0, 5, 9, 10, 100, 1000, 4000, ...Array.from({ length: 40 }, (_, i) => FIXTURE.length - 1 - i)];
    for (const cut of cuts) {
      await expect(check(FIXTURE.subarray(0, cut)), `cut at ${cut}`).rejects.toThrow(/truncated|empty/);
    }
  });

  test('refuses a flipped byte with the two checksums', async () => {
    const damaged = Buffer.from(FIXTURE);
    damaged[3000]! ^= 0x01;
    const error = await check(damaged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRdbError);
    expect((error as Error).message).toMatch(/^the test RDB is corrupt: its CRC64 footer says [0-9a-f]{16}, but its 7049 bytes hash to [0-9a-f]{16}$/);
  });

  test('refuses a few bytes of something else as not an RDB, and nothing at all as empty', async () => {
    await expect(check(Buffer.from('nope\n'))).rejects.toThrow('the test RDB is not an RDB file: it is 5 bytes long and starts with "nope."');
    await expect(check(Buffer.alloc(0))).rejects.toThrow('the test RDB ends after 0 bytes, inside the RDB header: it is empty or truncated');
  });

  test('refuses content that is not an RDB at all, quoting its first bytes', async () => {
    await expect(check(Buffer.from('Error: No such container: redis\n'))).rejects.toThrow(
      'the test RDB is not an RDB file: it starts with "Error: No such c", not REDIS and a 4-digit version',
    );
  });

  test('with the checksum disabled (footer 0), accepts the intact file on its structure', async () => {
    const result = await check(withoutChecksum(FIXTURE));
    expect(result.checksum).toEqual({ state: 'disabled' });
    expect(result.scan).toMatchObject({ state: 'complete', keys: { 0: 19, 3: 2, 15: 1 } });
  });

  test('with the checksum disabled, still refuses a truncated file', async () => {
    const cut = withoutChecksum(FIXTURE).subarray(0, 5000);
    await expect(check(Buffer.concat([cut, Buffer.alloc(8)]))).rejects.toThrow(/truncated/);
  });
});

/** Just enough of the RDB encoding to build files with types Redis 7.0 never writes. */
const rdb = {
  len(n: number): Buffer {
    if (n < 64) return Buffer.from([n]);
    if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = 0x80;
    b.writeUInt32BE(n, 1);
    return b;
  },
  str(s: string | Buffer): Buffer {
    const bytes = typeof s === 'string' ? Buffer.from(s) : s;
    return Buffer.concat([rdb.len(bytes.length), bytes]);
  },
  file(version: number, body: Buffer[]): Buffer {
    const content = Buffer.concat([Buffer.from(`REDIS${String(version).padStart(4, '0')}`), ...body, Buffer.from([0xff])]);
    const footer = Buffer.alloc(8);
    footer.writeBigUInt64LE(crc64(content));
    return Buffer.concat([content, footer]);
  },
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

describe('RdbCheck on RDB features newer than Redis 7.0', () => {
  test('counts set listpacks, v3 streams, hashes with field TTLs, modules and slot info (RDB 12)', async () => {
    const file = rdb.file(12, [
      Buffer.from([0xfa]), rdb.str('redis-ver'), rdb.str('7.4.0'),
      Buffer.from([0xf4]), rdb.len(12), rdb.len(3), rdb.len(1), // slot info
      Buffer.from([0xfe]), rdb.len(0),
      Buffer.from([0xfb]), rdb.len(5), rdb.len(1),
      // set listpack (20)
      Buffer.from([20]), rdb.str('s'), rdb.str(Buffer.alloc(30, 1)),
      // stream v3 (21): one listpack, ids, one group with one pending entry and one consumer
      Buffer.from([21]), rdb.str('x'), rdb.len(1), rdb.str(Buffer.alloc(16)), rdb.str(Buffer.alloc(40, 2)),
      rdb.len(1), rdb.len(1000), rdb.len(0), rdb.len(1000), rdb.len(0), rdb.len(0), rdb.len(0), rdb.len(1),
      rdb.len(1), rdb.str('group'), rdb.len(1000), rdb.len(0), rdb.len(1),
      rdb.len(1), Buffer.alloc(16), u64(1), rdb.len(1),
      rdb.len(1), rdb.str('consumer'), u64(2), u64(3), rdb.len(1), Buffer.alloc(16),
      // hash with field TTLs (24): min expire, then (ttl, field, value) × 2
      Buffer.from([0xfc]), u64(Date.now() + 60_000),
      Buffer.from([24]), rdb.str('h'), u64(Date.now()), rdb.len(2), rdb.len(0), rdb.str('f1'), rdb.str('v1'), rdb.len(5), rdb.str('f2'), rdb.str('v2'),
      // hash listpack with field TTLs (25)
      Buffer.from([25]), rdb.str('hl'), u64(Date.now()), rdb.str(Buffer.alloc(20, 3)),
      // module value (7): module id, then a uint, a double, a string, EOF
      Buffer.from([7]), rdb.str('m'), rdb.len(0x3f), rdb.len(2), rdb.len(9), rdb.len(4), u64(0), rdb.len(5), rdb.str('payload'), rdb.len(0),
      Buffer.from([0xfe]), rdb.len(1),
      // function library before a key, as 7.0+ writes them
      Buffer.from([0xf5]), rdb.str('#!lua name=lib\n'),
      Buffer.from([0]), rdb.str('k'), rdb.str('v'),
    ]);
    for (const size of [1, 5, 1024]) {
      const result = await check(file, size);
      expect(result.checksum.state).toBe('ok');
      expect(result.scan).toMatchObject({ state: 'complete', keys: { 0: 5, 1: 1 }, expires: { 0: 1 }, aux: { 'redis-ver': '7.4.0' } });
    }
  });

  test('an unknown value type stops the count, not the backup, when the footer vouches for the bytes', async () => {
    const file = rdb.file(13, [Buffer.from([0xfe]), rdb.len(0), Buffer.from([26]), rdb.str('k'), Buffer.alloc(50, 7)]);
    const result = await check(file);
    expect(result.checksum.state).toBe('ok');
    expect(result.scan).toMatchObject({ state: 'unknown', reason: 'value type 26' });
  });

  test('integer-encoded and LZF strings are skipped by their encoded sizes', async () => {
    const file = rdb.file(10, [
      Buffer.from([0xfa]), rdb.str('ctime'), Buffer.from([0xc2]), Buffer.from([0x10, 0x20, 0x30, 0x40]),
      Buffer.from([0xfe]), rdb.len(0),
      Buffer.from([0]), rdb.str('i8'), Buffer.from([0xc0, 0x05]),
      Buffer.from([0]), rdb.str('i16'), Buffer.from([0xc1, 0x05, 0x06]),
      Buffer.from([0]), rdb.str('lzf'), Buffer.from([0xc3]), rdb.len(4), rdb.len(100), Buffer.from([1, 2, 3, 4]),
    ]);
    const result = await check(file);
    expect(result.scan).toMatchObject({ state: 'complete', keys: { 0: 3 }, aux: { ctime: String(0x40302010) } });
  });

  test('lists, sets and hash tables of every string encoding are counted, whatever the chunk sizes; a bad field inside one is corrupt', async () => {
    const lzf = Buffer.concat([Buffer.from([0xc3]), rdb.len(4), rdb.len(100), Buffer.from([1, 2, 3, 4])]);
    const long = rdb.str(Buffer.alloc(20_000, 9)); // a 5-byte length
    const body = (badField: Buffer) => [
      Buffer.from([0xfe]), rdb.len(0),
      Buffer.from([4]), rdb.str('hash'), rdb.len(3), rdb.str('f1'), lzf, rdb.str('f2'), Buffer.from([0xc0, 7]), rdb.str('f3'), long,
      Buffer.from([0xfc]), u64(Date.now() + 60_000),
      Buffer.from([2]), rdb.str('set'), rdb.len(2), Buffer.from([0xc1, 1, 2]), badField,
      Buffer.from([1]), rdb.str('list'), rdb.len(1), rdb.str('x'),
      Buffer.from([4]), rdb.str('empty hash'), rdb.len(0),
      Buffer.from([0]), rdb.str('k'), rdb.str('v'),
    ];
    const file = rdb.file(10, body(Buffer.from([0xc2, 1, 2, 3, 4])));
    for (const size of [1, 3, 7, 64, 1000, 64 * 1024]) {
      const result = await check(file, size);
      expect(result.checksum.state).toBe('ok');
      expect(result.scan, `chunks of ${size}`).toMatchObject({ state: 'complete', keys: { 0: 5 }, expires: { 0: 1 }, eofOffset: file.length - 9 });
    }

    // String encoding 5 does not exist: with no checksum to vouch, the structure decides.
    const bad = withoutChecksum(rdb.file(10, body(Buffer.from([0xc5, 1, 2, 3, 4]))));
    for (const size of [1, 64 * 1024]) await expect(check(bad, size)).rejects.toThrow(/^the test RDB is corrupt: invalid string encoding 5 at byte \d+$/);
    // A hash that claims more fields than follow runs into the next records, and the file ends inside it.
    const short = withoutChecksum(rdb.file(10, [Buffer.from([0xfe]), rdb.len(0), Buffer.from([4]), rdb.str('h'), rdb.len(50), rdb.str('f'), rdb.str('v')]));
    await expect(check(short)).rejects.toThrow(/truncated|corrupt/);
  });
});
