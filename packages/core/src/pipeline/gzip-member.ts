/**
 * The gzip members ParallelGzip writes (RFC 1952): a header with one extra
 * subfield, `LB`, holding the member's whole length (header, deflate data and
 * trailer; 4 bytes, little-endian), then the raw deflate data, then CRC-32 and
 * the input length. `gzip -d`, `zcat`, `pigz -d` and node's gunzip skip extra
 * fields, as they do BGZF's `BC` (samtools' blocked gzip, the same idea), so
 * the file reads as any gzip file does; `ParallelGunzip` reads the length to
 * cut the stream into members without inflating it, and inflates several at once.
 */

/** Header bytes: 10 fixed, XLEN (2), and the subfield: SI1 SI2 (2), LEN (2), the length (4). */
export const MEMBER_HEADER_BYTES = 20;
/** CRC-32 and ISIZE. */
export const MEMBER_TRAILER_BYTES = 8;

const FEXTRA = 0x04;
const OS_UNIX = 3;
const SUBFIELD = [0x4c, 0x42]; // "LB"

export function memberHeader(level: number, deflatedBytes: number): Buffer {
  const header = Buffer.alloc(MEMBER_HEADER_BYTES);
  header[0] = 0x1f;
  header[1] = 0x8b;
  header[2] = 8; // deflate
  header[3] = FEXTRA;
  // MTIME 0 (bytes 4–7), as zlib writes it; XFL as zlib sets it for the level.
  header[8] = level === 9 ? 2 : level === 1 ? 4 : 0;
  header[9] = OS_UNIX;
  header.writeUInt16LE(8, 10);
  header[12] = SUBFIELD[0]!;
  header[13] = SUBFIELD[1]!;
  header.writeUInt16LE(4, 14);
  header.writeUInt32LE(MEMBER_HEADER_BYTES + deflatedBytes + MEMBER_TRAILER_BYTES, 16);
  return header;
}

export function memberTrailer(crc: number, inputBytes: number): Buffer {
  const trailer = Buffer.alloc(MEMBER_TRAILER_BYTES);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(inputBytes % 2 ** 32, 4);
  return trailer;
}

/**
 * The whole length of the member that starts `head` (at least
 * MEMBER_HEADER_BYTES of it), when it is one ParallelGzip wrote; undefined
 * for any other gzip header (or none), which is then read as a plain stream.
 */
export function memberLength(head: Buffer): number | undefined {
  if (head.length < MEMBER_HEADER_BYTES) return undefined;
  if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 || head[3] !== FEXTRA) return undefined;
  if (head.readUInt16LE(10) !== 8 || head[12] !== SUBFIELD[0] || head[13] !== SUBFIELD[1] || head.readUInt16LE(14) !== 4) return undefined;
  const length = head.readUInt32LE(16);
  return length >= MEMBER_HEADER_BYTES + MEMBER_TRAILER_BYTES ? length : undefined;
}
