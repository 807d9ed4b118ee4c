/**
 * Walks the structure of an RDB as it streams past, without keeping it:
 * counts keys (and keys with a TTL) per database, reads the AUX fields
 * (`redis-ver`, `ctime`…), and finds the EOF opcode. Values are skipped by
 * their encoded lengths; nothing is decoded beyond that.
 *
 * Why: the counts are those of the snapshot itself, not of a server that kept
 * taking writes while it was copied, so a restore can be checked exactly; and
 * an RDB written with `rdbchecksum no` (footer 0) can still be proven complete.
 *
 * The RDB format keeps growing (Redis 7.4 added hash field TTLs, 8.x more). A
 * value type or opcode this scanner does not know makes it stop with
 * `unknown`, never fail: the CRC64 footer still vouches for the bytes, and the
 * key counts then come from INFO instead. Written from Redis's rdb.c/rdb.h
 * (RDB versions 1–12).
 */

export type RdbScanResult =
  | {
      state: 'complete';
      /** Offset of the EOF opcode (0xFF) from the start of the RDB. */
      eofOffset: number;
      keys: Record<number, number>;
      expires: Record<number, number>;
      aux: Record<string, string>;
    }
  | { state: 'unknown'; reason: string; aux: Record<string, string> }
  /** The input ended inside the structure (a truncated RDB, if nothing else is wrong). */
  | { state: 'incomplete'; offset: number; aux: Record<string, string> }
  /** Something impossible in any RDB version (a bad length or string encoding). */
  | { state: 'corrupt'; reason: string; offset: number; aux: Record<string, string> };

/** Opcodes of the top level (rdb.h). */
const OP = {
  SLOT_INFO: 0xf4,
  FUNCTION2: 0xf5,
  FUNCTION_PRE_GA: 0xf6,
  MODULE_AUX: 0xf7,
  IDLE: 0xf8,
  FREQ: 0xf9,
  AUX: 0xfa,
  RESIZEDB: 0xfb,
  EXPIRETIME_MS: 0xfc,
  EXPIRETIME: 0xfd,
  SELECTDB: 0xfe,
  EOF: 0xff,
} as const;

/** Module value opcodes (rdbLoadCheckModuleValue). */
const MODULE_OP = { EOF: 0, SINT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4, STRING: 5 } as const;

/** Value types stored as one string: ziplists, listpacks, intsets, zipmaps, plain strings. */
const ONE_STRING = new Set([0, 9, 10, 11, 12, 13, 16, 17, 20]);

/**
 * The grammar is a generator that asks the driver for what comes next; it is
 * written once, and the driver feeds it chunk by chunk, so a 512 MB string is
 * skipped without being held. Requests:
 *   n > 0    the next n bytes, as a Buffer
 *   n < 0    skip -n bytes
 *   LENGTH   a length prefix, as a number (an encoded one is corrupt here)
 *   PREFIX   a length prefix as { value, encoded } (strings: encoded = int/LZF)
 *   STRING   skip one whole string, whatever its encoding
 *   TYPE     the next top-level opcode or value type, as a number
 * The last four are decoded by the driver itself: they are most of an RDB,
 * and a generator round trip per byte would make the scan the slowest part
 * of a backup. Asked for a TYPE, the driver first walks every whole record
 * of the commonest kind in the chunk by itself (an expire time, a key whose
 * value is one string), and hands the generator only the rest.
 */
const LENGTH = 'length';
const PREFIX = 'prefix';
const STRING = 'string';
const TYPE = 'type';
type Request = number | typeof LENGTH | typeof PREFIX | typeof STRING | typeof TYPE;
interface Prefix {
  value: number;
  encoded: boolean;
}
type Scan<T> = Generator<Request, T, unknown>;

class Unknown extends Error {}
class Corrupt extends Error {}

/** A length prefix at buf[pos..end): its value and size, or undefined when the buffer ends inside it. */
function prefixAt(buf: Buffer, pos: number, end: number): (Prefix & { size: number }) | undefined {
  if (pos >= end) return undefined;
  const first = buf[pos]!;
  switch (first >> 6) {
    case 0:
      return { value: first & 0x3f, encoded: false, size: 1 };
    case 1:
      return pos + 2 <= end ? { value: ((first & 0x3f) << 8) | buf[pos + 1]!, encoded: false, size: 2 } : undefined;
    case 3:
      return { value: first & 0x3f, encoded: true, size: 1 };
  }
  if (first === 0x80) return pos + 5 <= end ? { value: buf.readUInt32BE(pos + 1), encoded: false, size: 5 } : undefined;
  // A 64-bit length beyond 2^53 cannot be a real count or size; Number keeps the arithmetic simple.
  if (first === 0x81) return pos + 9 <= end ? { value: Number(buf.readBigUInt64BE(pos + 1)), encoded: false, size: 9 } : undefined;
  throw new Corrupt(`invalid length prefix 0x${first.toString(16)}`);
}

/** Integer encodings of strings: INT8, INT16, INT32 take 1, 2, 4 bytes; 3 is LZF. */
const INT_BYTES = [1, 2, 4];

/** Decodes what a request names at buf[pos..end): the answer, bytes to skip after it, and the header's size. */
function decode(request: typeof LENGTH | typeof PREFIX | typeof STRING, buf: Buffer, pos: number, end: number): { answer?: unknown; skip: number; size: number } | undefined {
  const prefix = prefixAt(buf, pos, end);
  if (!prefix) return undefined;
  if (request === PREFIX) return { answer: { value: prefix.value, encoded: prefix.encoded }, skip: 0, size: prefix.size };
  if (request === LENGTH) {
    if (prefix.encoded) throw new Corrupt('an encoded value where a length belongs');
    return { answer: prefix.value, skip: 0, size: prefix.size };
  }
  if (!prefix.encoded) return { skip: prefix.value, size: prefix.size };
  const intBytes = INT_BYTES[prefix.value];
  if (intBytes !== undefined) return { skip: intBytes, size: prefix.size };
  if (prefix.value !== 3) throw new Corrupt(`invalid string encoding ${prefix.value}`);
  const compressed = prefixAt(buf, pos + prefix.size, end);
  if (!compressed) return undefined;
  const plain = prefixAt(buf, pos + prefix.size + compressed.size, end);
  if (!plain) return undefined;
  if (compressed.encoded || plain.encoded) throw new Corrupt('an encoded value where an LZF length belongs');
  return { skip: compressed.value, size: prefix.size + compressed.size + plain.size };
}
/**
 * The fast path's own header reading, which allocates nothing: it runs twice
 * per key, and `decode`'s small result objects were most of the scan's time
 * (and the garbage collector's). Anything unusual (a header cut by the
 * chunk's end, an invalid prefix) gives -1, and the generator's path, which
 * reports it, takes over.
 */
let lengthValue = 0;

/** A plain length prefix at buf[p]: the position after it, its value left in `lengthValue`; -1 when cut, encoded or invalid. */
function lengthEnd(buf: Buffer, p: number, end: number): number {
  if (p >= end) return -1;
  const first = buf[p]!;
  switch (first >> 6) {
    case 0:
      lengthValue = first & 0x3f;
      return p + 1;
    case 1:
      if (p + 2 > end) return -1;
      lengthValue = ((first & 0x3f) << 8) | buf[p + 1]!;
      return p + 2;
  }
  if (first === 0x80) {
    if (p + 5 > end) return -1;
    lengthValue = buf.readUInt32BE(p + 1);
    return p + 5;
  }
  if (first === 0x81) {
    if (p + 9 > end) return -1;
    lengthValue = Number(buf.readBigUInt64BE(p + 1));
    return p + 9;
  }
  return -1;
}

/** Where the string whose header is at buf[p] ends (possibly beyond `end`); -1 when its header is cut or invalid. */
function stringEnd(buf: Buffer, p: number, end: number): number {
  if (p >= end) return -1;
  const first = buf[p]!;
  if (first >> 6 !== 3) {
    const body = lengthEnd(buf, p, end);
    return body < 0 ? -1 : body + lengthValue;
  }
  switch (first & 0x3f) {
    case 0:
      return p + 2; // INT8
    case 1:
      return p + 3; // INT16
    case 2:
      return p + 5; // INT32
    case 3: {
      // LZF: the compressed length, the plain length, then the compressed bytes.
      const plainLength = lengthEnd(buf, p + 1, end);
      if (plainLength < 0) return -1;
      const compressed = lengthValue;
      const body = lengthEnd(buf, plainLength, end);
      return body < 0 ? -1 : body + compressed;
    }
  }
  return -1;
}

/** How walkSimpleRecords reads each value type: 0 not at all, ONE (a string) or COUNTED (a length, then that many strings, twice that for a hash). */
const ONE = 1;
const COUNTED = 2;
const HASH = 4;
const STRINGS_IN = new Uint8Array(256);
for (const type of ONE_STRING) STRINGS_IN[type] = ONE;
for (const type of [1, 2, HASH]) STRINGS_IN[type] = COUNTED;

/** walkSimpleRecords's results besides its return value (a typed array: nothing to allocate, no shapes to change). */
const WALKED = new Int32Array(3);
const WALKED_KEYS = 0;
const WALKED_EXPIRES = 1;
/** In and out: the next key has an expire time. */
const WALKED_EXPIRING = 2;

/**
 * Walks the whole records at chunk[pos..end) that need no generator: an
 * expire time, or a key whose value is one string, a list or set of strings,
 * or a hash table of them (hashes with values over 64 bytes: every tenth key
 * of the benchmark, each eight generator round trips before). Returns where the first
 * other record starts; one cut by the chunk's end, or corrupt, is left for
 * the generator, which reports it at its own offset. A plain function over
 * locals: as a method reading and writing the scanner's fields, V8 threw its
 * optimised code away early in the stream and ran the rest of a 1M-key RDB
 * unoptimised (3-4 times slower).
 */
function walkSimpleRecords(chunk: Buffer, pos: number, end: number): number {
  let keys = 0;
  let expires = 0;
  let expiring = WALKED[WALKED_EXPIRING]!;
  while (pos < end) {
    const type = chunk[pos]!;
    if (type === OP.EXPIRETIME_MS) {
      if (pos + 9 > end) break;
      expiring = 1;
      pos += 9;
      continue;
    }
    const strings = STRINGS_IN[type]!;
    if (strings === 0) break;
    let next = stringEnd(chunk, pos + 1, end); // the key
    if (next < 0) break;
    let count = 1;
    if (strings === COUNTED) {
      // A set or list (n strings) or a hash as a table (n fields and their values).
      next = next <= end ? lengthEnd(chunk, next, end) : -1;
      if (next < 0) break;
      count = type === HASH ? 2 * lengthValue : lengthValue;
    }
    for (let i = 0; i < count && next >= 0 && next <= end; i++) next = stringEnd(chunk, next, end);
    if (next < 0 || next > end) break;
    keys++;
    expires += expiring;
    expiring = 0;
    pos = next;
  }
  WALKED[WALKED_KEYS] = keys;
  WALKED[WALKED_EXPIRES] = expires;
  WALKED[WALKED_EXPIRING] = expiring;
  return pos;
}

/** Longest header `decode` reads: an LZF marker and two 9-byte lengths. */
const MAX_HEADER = 19;

/** A short string's text (AUX fields); LZF-compressed ones are skipped and read as undefined. */
function* readText(): Scan<string | undefined> {
  const { value, encoded } = (yield PREFIX) as Prefix;
  if (!encoded) return value === 0 ? '' : ((yield value) as Buffer).toString('utf8');
  switch (value) {
    case 0:
      return String(((yield 1) as Buffer).readInt8(0));
    case 1:
      return String(((yield 2) as Buffer).readInt16LE(0));
    case 2:
      return String(((yield 4) as Buffer).readInt32LE(0));
    case 3: {
      const compressed = (yield LENGTH) as number;
      yield LENGTH;
      if (compressed > 0) yield -compressed;
      return undefined;
    }
    default:
      throw new Corrupt(`invalid string encoding ${value}`);
  }
}

function* skipModuleValue(): Scan<void> {
  for (;;) {
    const op = (yield LENGTH) as number;
    switch (op) {
      case MODULE_OP.EOF:
        return;
      case MODULE_OP.SINT:
      case MODULE_OP.UINT:
        yield LENGTH;
        break;
      case MODULE_OP.FLOAT:
        yield -4;
        break;
      case MODULE_OP.DOUBLE:
        yield -8;
        break;
      case MODULE_OP.STRING:
        yield STRING;
        break;
      default:
        throw new Unknown(`module value opcode ${op}`);
    }
  }
}

function* skipStream(type: number): Scan<void> {
  const STREAM_V2 = 19;
  const STREAM_V3 = 21;
  const listpacks = (yield LENGTH) as number;
  for (let i = 0; i < listpacks; i++) {
    yield STRING; // master ID
    yield STRING; // listpack
  }
  // length, last ID (ms, seq); then first ID, max deleted ID, entries added
  const counters = type >= STREAM_V2 ? 8 : 3;
  for (let i = 0; i < counters; i++) yield LENGTH;
  const groups = (yield LENGTH) as number;
  for (let g = 0; g < groups; g++) {
    yield STRING; // name
    yield LENGTH; // last delivered ID ms
    yield LENGTH; // and seq
    if (type >= STREAM_V2) yield LENGTH; // entries read
    const pending = (yield LENGTH) as number;
    // Each: a raw 16-byte stream ID and an 8-byte delivery time, then the delivery count.
    for (let p = 0; p < pending; p++) {
      yield -24;
      yield LENGTH;
    }
    const consumers = (yield LENGTH) as number;
    for (let c = 0; c < consumers; c++) {
      yield STRING; // name
      yield -(type >= STREAM_V3 ? 16 : 8); // seen time (and active time)
      const owned = (yield LENGTH) as number;
      if (owned > 0) yield -(owned * 16);
    }
  }
}

/** Values other than ONE_STRING types. */
function* skipValue(type: number, version: number): Scan<void> {
  // Types 22–25 (hash field TTLs) are Redis 7.4+ (RDB 12); other forks reuse those numbers differently.
  const redisHashTtl = version >= 12 && version < 80;
  switch (type) {
    case 1: // list
    case 2: // set
    case 14: {
      // quicklist: a list of ziplists
      const n = (yield LENGTH) as number;
      for (let i = 0; i < n; i++) yield STRING;
      return;
    }
    case 3: {
      // zset with scores as text: a length byte, 253/254/255 meaning NaN/+inf/-inf
      const n = (yield LENGTH) as number;
      for (let i = 0; i < n; i++) {
        yield STRING;
        const len = ((yield 1) as Buffer)[0]!;
        if (len < 253 && len > 0) yield -len;
      }
      return;
    }
    case 4: {
      // hash
      const n = (yield LENGTH) as number;
      for (let i = 0; i < 2 * n; i++) yield STRING;
      return;
    }
    case 5: {
      // zset with binary double scores
      const n = (yield LENGTH) as number;
      for (let i = 0; i < n; i++) {
        yield STRING;
        yield -8;
      }
      return;
    }
    case 7: // module, format 2: a 64-bit module id, then self-describing values
      yield LENGTH;
      return yield* skipModuleValue();
    case 18: {
      // quicklist 2: (container kind, listpack or plain node) pairs
      const n = (yield LENGTH) as number;
      for (let i = 0; i < n; i++) {
        yield LENGTH;
        yield STRING;
      }
      return;
    }
    case 15:
    case 19:
    case 21:
      return yield* skipStream(type);
    case 22:
    case 24: {
      if (!redisHashTtl) break;
      // hash with field TTLs; the GA form (24) starts with the minimum expire time.
      if (type === 24) yield -8;
      const n = (yield LENGTH) as number;
      for (let i = 0; i < n; i++) {
        yield LENGTH; // TTL
        yield STRING;
        yield STRING;
      }
      return;
    }
    case 23:
    case 25:
      if (!redisHashTtl) break;
      if (type === 25) yield -8;
      yield STRING;
      return;
  }
  throw new Unknown(`value type ${type}`);
}

interface Tally {
  keys: Record<number, number>;
  expires: Record<number, number>;
  aux: Record<string, string>;
  eofOffset?: number;
  /** The database of the keys that follow (SELECTDB). */
  db: number;
  /** The next key has an expire time. */
  expiring: boolean;
}

/** One more key in the current database. */
function countKey(tally: Tally): void {
  tally.keys[tally.db] = (tally.keys[tally.db] ?? 0) + 1;
  if (tally.expiring) tally.expires[tally.db] = (tally.expires[tally.db] ?? 0) + 1;
  tally.expiring = false;
}

/** The body after the 9-byte header `REDIS0012`. */
function* scanBody(version: number, tally: Tally, offset: () => number): Scan<void> {
  for (;;) {
    const type = (yield TYPE) as number;
    const at = offset() - 1;
    switch (type) {
      case OP.EOF:
        tally.eofOffset = at;
        return;
      case OP.SELECTDB:
        tally.db = (yield LENGTH) as number;
        break;
      case OP.RESIZEDB:
        yield LENGTH;
        yield LENGTH;
        break;
      case OP.EXPIRETIME:
        yield -4;
        tally.expiring = true;
        break;
      case OP.EXPIRETIME_MS:
        yield -8;
        tally.expiring = true;
        break;
      case OP.AUX: {
        const key = yield* readText();
        const value = yield* readText();
        if (key !== undefined && value !== undefined) tally.aux[key] = value;
        break;
      }
      case OP.FREQ:
        yield -1;
        break;
      case OP.IDLE:
        yield LENGTH;
        break;
      case OP.MODULE_AUX:
        yield LENGTH; // module id
        yield LENGTH; // when opcode
        yield LENGTH; // when
        yield* skipModuleValue();
        break;
      case OP.FUNCTION2:
        yield STRING;
        break;
      case OP.SLOT_INFO:
        yield LENGTH;
        yield LENGTH;
        yield LENGTH;
        break;
      case OP.FUNCTION_PRE_GA:
        throw new Unknown('the pre-release function format of Redis 7.0 RC');
      default:
        yield STRING; // the key
        if (ONE_STRING.has(type)) yield STRING;
        else yield* skipValue(type, version);
        countKey(tally);
    }
  }
}

/**
 * Feeds an RDB body to the scanner chunk by chunk. Construct it with the
 * version from the header; `push` everything after the header, then read
 * `result()`.
 */
export class RdbScanner {
  private readonly tally: Tally = { keys: {}, expires: {}, aux: {}, db: 0, expiring: false };
  private readonly scan: Scan<void>;
  /** What the grammar waits for; undefined once it is done or stopped. */
  private want: Request | undefined;
  /** Bytes of a request that straddles chunks (a read, or a header of at most MAX_HEADER bytes). */
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private consumed: number;
  private stopped?: { state: 'unknown' | 'corrupt'; reason: string; offset: number };

  /** `start` is the offset of the body in the RDB (9, after `REDIS` and the version). */
  constructor(version: number, start = 9) {
    this.consumed = start;
    this.scan = scanBody(version, this.tally, () => this.consumed);
    this.want = this.advance(undefined);
  }

  private advance(input: unknown): Request | undefined {
    try {
      const step = this.scan.next(input);
      return step.done ? undefined : step.value;
    } catch (err) {
      return this.stop(err);
    }
  }

  private stop(err: unknown): undefined {
    if (!(err instanceof Unknown) && !(err instanceof Corrupt)) throw err;
    this.stopped = { state: err instanceof Unknown ? 'unknown' : 'corrupt', reason: err.message, offset: this.consumed };
    return undefined;
  }

  private takeStaged(extra?: Buffer): Buffer {
    const parts = extra ? [...this.staged, extra] : this.staged;
    const joined = Buffer.concat(parts);
    this.staged = [];
    this.stagedBytes = 0;
    return joined;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    while (this.want !== undefined && pos < end) {
      const want = this.want;
      if (want === TYPE) {
        pos = this.skipSimpleRecords(chunk, pos, end);
        if (pos === end) continue;
        this.consumed += 1;
        this.want = this.advance(chunk[pos++]!);
        continue;
      }
      if (typeof want === 'number') {
        if (want < 0) {
          const n = Math.min(-want, end - pos);
          pos += n;
          this.consumed += n;
          this.want = want + n === 0 ? this.advance(undefined) : want + n;
          continue;
        }
        const need = want - this.stagedBytes;
        if (this.stagedBytes === 0 && end - pos >= need) {
          // The common case: the bytes are all in this chunk, no copy.
          const bytes = chunk.subarray(pos, pos + need);
          pos += need;
          this.consumed += need;
          this.want = this.advance(bytes);
          continue;
        }
        const n = Math.min(need, end - pos);
        this.staged.push(chunk.subarray(pos, pos + n));
        this.stagedBytes += n;
        pos += n;
        if (this.stagedBytes === want) {
          this.consumed += want;
          this.want = this.advance(this.takeStaged());
        }
        continue;
      }

      // A length or string header, decoded here; it may straddle chunks, but is at most MAX_HEADER bytes.
      const stagedBefore = this.stagedBytes;
      const buf = stagedBefore === 0 ? chunk : Buffer.concat([...this.staged, chunk.subarray(pos, pos + MAX_HEADER)]);
      const from = stagedBefore === 0 ? pos : 0;
      let decoded: ReturnType<typeof decode>;
      try {
        decoded = decode(want, buf, from, buf.length);
      } catch (err) {
        this.want = this.stop(err);
        return;
      }
      if (!decoded) {
        this.staged.push(chunk.subarray(pos));
        this.stagedBytes += end - pos;
        pos = end;
        continue;
      }
      if (stagedBefore > 0) this.takeStaged();
      pos += decoded.size - stagedBefore;
      this.consumed += decoded.size;
      this.want = decoded.skip > 0 ? -decoded.skip : this.advance(decoded.answer);
    }
  }

  /** The fast path (walkSimpleRecords) over chunk[pos..end), its counts added to the tally; returns where it stopped. */
  private skipSimpleRecords(chunk: Buffer, pos: number, end: number): number {
    const tally = this.tally;
    WALKED[WALKED_EXPIRING] = tally.expiring ? 1 : 0;
    const next = walkSimpleRecords(chunk, pos, end);
    const keys = WALKED[WALKED_KEYS]!;
    if (keys > 0) {
      tally.keys[tally.db] = (tally.keys[tally.db] ?? 0) + keys;
      const expires = WALKED[WALKED_EXPIRES]!;
      if (expires > 0) tally.expires[tally.db] = (tally.expires[tally.db] ?? 0) + expires;
    }
    tally.expiring = WALKED[WALKED_EXPIRING] === 1;
    this.consumed += next - pos;
    return next;
  }

  result(): RdbScanResult {
    const { keys, expires, aux, eofOffset } = this.tally;
    if (this.stopped?.state === 'unknown') return { state: 'unknown', reason: this.stopped.reason, aux };
    if (this.stopped) return { state: 'corrupt', reason: this.stopped.reason, offset: this.stopped.offset, aux };
    if (eofOffset === undefined) return { state: 'incomplete', offset: this.consumed + this.stagedBytes, aux };
    return { state: 'complete', eofOffset, keys, expires, aux };
  }
}
