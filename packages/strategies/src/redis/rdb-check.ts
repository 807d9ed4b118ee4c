/**
 * Validates an RDB while it streams to the destinations: the `REDIS` magic and
 * 4-digit version, the CRC64 footer (the last 8 bytes, little-endian, over
 * everything before them), and the structure up to the EOF opcode. The stream
 * errors at its end when anything is wrong, so the pipeline fails and no
 * manifest is written: a truncated or corrupt RDB is never a backup.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { LifeboatError } from '@lifeboat/core';
import { Crc64, crc64Hex } from './crc64.js';
import { RdbScanner, type RdbScanResult } from './rdb-scan.js';

const HEADER_BYTES = 9;
const FOOTER_BYTES = 8;
/** Held back from the CRC until the end: the EOF opcode and the footer. */
const TAIL_BYTES = FOOTER_BYTES + 1;
const EOF_OPCODE = 0xff;
/** RDB 5 (Redis 2.6) added the CRC64 footer. */
const FIRST_VERSION_WITH_FOOTER = 5;

export type ChecksumState =
  | { state: 'ok'; crc64: string }
  /** The server runs with `rdbchecksum no` and wrote 0. */
  | { state: 'disabled' }
  /** RDB older than version 5: no footer at all. */
  | { state: 'absent' };

/** A structure walk that passed: complete, or stopped at something the scanner does not know. */
export type CheckedScan = Extract<RdbScanResult, { state: 'complete' | 'unknown' }>;

export interface RdbCheckResult {
  version: number;
  bytes: number;
  checksum: ChecksumState;
  scan: CheckedScan;
}

/** Thrown (as the stream's error) when the content is not a complete, intact RDB. */
export class InvalidRdbError extends LifeboatError {}

/** `REDIS0011` → 11; undefined for anything else. */
export function parseRdbHeader(header: Buffer): number | undefined {
  if (header.length < HEADER_BYTES) return undefined;
  const text = header.toString('latin1', 0, HEADER_BYTES);
  const match = /^REDIS(\d{4})$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The first bytes of something that is not an RDB, printable and short, for the error sentence. */
function shown(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1', 0, Math.min(bytes.length, 16)).replace(/[^\x20-\x7e]/g, '.'));
}

export class RdbCheck extends Transform {
  private header: Buffer[] = [];
  private headerBytes = 0;
  private version?: number;
  private scanner?: RdbScanner;
  private readonly crc = new Crc64();
  /** The most recent bytes, not yet in the CRC (at most TAIL_BYTES once the header is past). */
  private tail = Buffer.alloc(0);
  private total = 0;
  private outcome?: RdbCheckResult;

  /** @param what names the RDB in error sentences, e.g. "the RDB from redis://cache:6379". */
  constructor(private readonly what: string) {
    super();
  }

  /** What the check found; available once the stream has finished without error. */
  get result(): RdbCheckResult {
    if (!this.outcome) throw new Error('RdbCheck.result read before the stream finished');
    return this.outcome;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.version === undefined) {
      this.header.push(chunk);
      this.headerBytes += chunk.length;
      if (this.headerBytes < HEADER_BYTES) return callback(null, chunk);
      const joined = Buffer.concat(this.header, this.headerBytes);
      this.header = [];
      const version = parseRdbHeader(joined);
      if (version === undefined) {
        return callback(new InvalidRdbError(`${this.what} is not an RDB file: it starts with ${shown(joined)}, not REDIS and a 4-digit version`));
      }
      this.version = version;
      this.scanner = new RdbScanner(version, HEADER_BYTES);
      this.scanner.push(joined.subarray(HEADER_BYTES));
      this.hash(joined);
      return callback(null, chunk);
    }
    this.scanner!.push(chunk);
    this.hash(chunk);
    callback(null, chunk);
  }

  /** Bytes from the start of the file onwards; the last TAIL_BYTES wait in `tail` for the verdict. */
  private hash(data: Buffer): void {
    if (data.length >= TAIL_BYTES) {
      if (this.tail.length > 0) this.crc.update(this.tail);
      this.crc.update(data.subarray(0, data.length - TAIL_BYTES));
      this.tail = Buffer.from(data.subarray(data.length - TAIL_BYTES));
      return;
    }
    const joined = Buffer.concat([this.tail, data]);
    const ready = joined.length - TAIL_BYTES;
    if (ready > 0) {
      this.crc.update(joined.subarray(0, ready));
      this.tail = joined.subarray(ready);
    } else {
      this.tail = joined;
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.outcome = this.verdict();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private verdict(): RdbCheckResult {
    const { what, total } = this;
    if (this.version === undefined) {
      const start = Buffer.concat(this.header, this.headerBytes);
      if (!Buffer.from('REDIS0').subarray(0, start.length).equals(start.subarray(0, 6))) {
        throw new InvalidRdbError(`${what} is not an RDB file: it is ${total} bytes long and starts with ${shown(start)}`);
      }
      throw new InvalidRdbError(`${what} ends after ${total} bytes, inside the RDB header: it is empty or truncated`);
    }
    const version = this.version;
    const scan = this.scanner!.result();
    const truncated = () =>
      new InvalidRdbError(`${what} is truncated: it ends after ${total} bytes, short of the end-of-file marker and checksum that close every RDB`);

    if (version < FIRST_VERSION_WITH_FOOTER) {
      if (scan.state === 'incomplete' || this.tail.at(-1) !== EOF_OPCODE) throw truncated();
      return { version, bytes: total, checksum: { state: 'absent' }, scan: this.structureMustHold(scan, total - 1) };
    }

    if (total < HEADER_BYTES + TAIL_BYTES) throw truncated();
    const eofByte = this.tail[0]!;
    this.crc.update(this.tail.subarray(0, 1));
    const footer = this.tail.readBigUInt64LE(1);
    const computed = this.crc.value;

    if (footer !== 0n) {
      if (footer !== computed) {
        const cutShort =
          scan.state === 'incomplete' ||
          (scan.state === 'complete' ? scan.eofOffset > total - TAIL_BYTES : eofByte !== EOF_OPCODE);
        if (cutShort) throw truncated();
        throw new InvalidRdbError(
          `${what} is corrupt: its CRC64 footer says ${crc64Hex(footer)}, but its ${total} bytes hash to ${crc64Hex(computed)}`,
        );
      }
      // The footer vouches for every byte: if the scanner disagrees, the scanner is the one behind.
      let checked: CheckedScan;
      if (scan.state === 'incomplete' || scan.state === 'corrupt') {
        checked = { state: 'unknown', reason: scanProblem(scan), aux: scan.aux };
      } else if (scan.state === 'complete' && scan.eofOffset !== total - TAIL_BYTES) {
        checked = { state: 'unknown', reason: `end-of-file marker found at byte ${scan.eofOffset}, not ${total - TAIL_BYTES}`, aux: scan.aux };
      } else {
        checked = scan;
      }
      return { version, bytes: total, checksum: { state: 'ok', crc64: crc64Hex(computed) }, scan: checked };
    }

    // `rdbchecksum no`: only the structure can tell a complete RDB from a cut one.
    if (scan.state === 'incomplete' || eofByte !== EOF_OPCODE) throw truncated();
    return { version, bytes: total, checksum: { state: 'disabled' }, scan: this.structureMustHold(scan, total - TAIL_BYTES) };
  }

  private structureMustHold(scan: RdbScanResult, eofAt: number): CheckedScan {
    if (scan.state === 'corrupt' || scan.state === 'incomplete') throw new InvalidRdbError(`${this.what} is corrupt: ${scanProblem(scan)}`);
    if (scan.state === 'complete' && scan.eofOffset !== eofAt) {
      throw new InvalidRdbError(`${this.what} is corrupt: its end-of-file marker is at byte ${scan.eofOffset}, but the file has ${this.total} bytes`);
    }
    return scan;
  }
}

function scanProblem(scan: RdbScanResult): string {
  switch (scan.state) {
    case 'corrupt':
      return `${scan.reason} at byte ${scan.offset}`;
    case 'incomplete':
      return `the data ends at byte ${scan.offset}, before the end-of-file marker`;
    case 'unknown':
      return scan.reason;
    case 'complete':
      return 'complete';
  }
}
