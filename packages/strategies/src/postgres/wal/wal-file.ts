import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
// Lean imports only: the lean path of `wal push` reads segments with this module.
import { LifeboatError, UsageError } from '@lifeboat/core/lean';

/** What PostgreSQL hands archive_command: a segment, a timeline history, a backup history, or a partial segment (at promotion). */
export type WalFileKind = 'segment' | 'partial' | 'history' | 'backup';

export interface WalFileName {
  name: string;
  kind: WalFileKind;
  /** Timeline, from the name (8 hex digits). */
  timeline: number;
  /** 8 hex digits, as in the archive path. */
  timelineHex: string;
  /** `log * 2^32 + seg` hex of the segment part (segments, partials, backup files). */
  log?: number;
  seg?: number;
}

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const PARTIAL = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.partial$/;
const BACKUP = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.[0-9A-F]{8}\.backup$/;
const HISTORY = /^([0-9A-F]{8})\.history$/;

/** The file name PostgreSQL gives a WAL file, or undefined when it is not one. */
export function parseWalFileName(name: string): WalFileName | undefined {
  let m = SEGMENT.exec(name);
  const kind: WalFileKind | undefined = m ? 'segment' : (m = PARTIAL.exec(name)) ? 'partial' : (m = BACKUP.exec(name)) ? 'backup' : undefined;
  if (m && kind) return { name, kind, timeline: parseInt(m[1]!, 16), timelineHex: m[1]!, log: parseInt(m[2]!, 16), seg: parseInt(m[3]!, 16) };
  const h = HISTORY.exec(name);
  if (h) return { name, kind: 'history', timeline: parseInt(h[1]!, 16), timelineHex: h[1]! };
  return undefined;
}

export function walFileName(name: string, what: string): WalFileName {
  const parsed = parseWalFileName(name);
  if (!parsed) {
    throw new UsageError(
      `${what} "${name}" is not a WAL file name (expected 24 hex digits such as 000000010000000000000003, or 00000002.history, a .partial or a .backup file)`,
    );
  }
  return parsed;
}

/** XLOG_PAGE_MAGIC of PostgreSQL 10–17 lies in 0xD0xx; the long header flag marks a segment's first page. */
const XLP_LONG_HEADER = 0x0002;

export interface SegmentHeader {
  systemIdentifier: string;
  timeline: number;
  /** xlp_seg_size: bytes per segment (16 MiB unless initdb --wal-segsize). */
  segmentBytes: number;
}

/**
 * The first page of a segment is an XLogLongPageHeaderData: xlp_magic (u16),
 * xlp_info (u16), xlp_tli (u32), xlp_pageaddr (u64), xlp_rem_len (u32), pad,
 * then xlp_sysid (u64 at offset 24 — after the 24-byte short header),
 * xlp_seg_size (u32 at 32) and xlp_xlog_blcksz (u32 at 36). Little-endian on
 * every platform PostgreSQL ships for.
 */
export function readSegmentHeader(page: Buffer, where: string): SegmentHeader {
  if (page.length < 40) throw new LifeboatError(`${where} is ${page.length} bytes, too short to be a WAL segment`);
  const info = page.readUInt16LE(2);
  if ((info & XLP_LONG_HEADER) === 0) throw new LifeboatError(`${where} does not start with a WAL segment header (no long page header)`);
  return {
    systemIdentifier: page.readBigUInt64LE(24).toString(),
    timeline: page.readUInt32LE(4),
    segmentBytes: page.readUInt32LE(32),
  };
}

/** The cluster's system identifier from global/pg_control (its first field, a u64). */
export async function readControlSystemIdentifier(dataDir: string): Promise<string | undefined> {
  try {
    const handle = await open(join(dataDir, 'global', 'pg_control'), 'r');
    try {
      const buffer = Buffer.alloc(8);
      const { bytesRead } = await handle.read(buffer, 0, 8, 0);
      return bytesRead === 8 ? buffer.readBigUInt64LE(0).toString() : undefined;
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface WalFile extends WalFileName {
  content: Buffer;
  systemIdentifier: string;
  segmentBytes?: number;
}

/**
 * Reads a file archive_command was given. A segment names its cluster in its
 * header; a history or backup file has no header, so the cluster is read from
 * pg_control of the data directory (archive_command runs there; `%p` is
 * `pg_wal/<name>`).
 */
export async function readWalFile(path: string, cwd: string): Promise<WalFile> {
  const parsed = walFileName(basename(path), 'the file to archive');
  let content: Buffer;
  try {
    content = await readFile(resolve(cwd, path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LifeboatError(`cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (parsed.kind === 'segment' || parsed.kind === 'partial') return segmentFile(parsed, content, path);
  for (const dataDir of [resolve(cwd, dirname(path), '..'), cwd]) {
    const systemIdentifier = await readControlSystemIdentifier(dataDir);
    if (systemIdentifier) return { ...parsed, content, systemIdentifier };
  }
  throw new LifeboatError(
    `cannot tell which cluster ${path} belongs to: no global/pg_control beside its pg_wal folder or in ${cwd} (archive_command runs in the data directory)`,
  );
}

/** A segment (or partial) with its header checked: it names its own cluster. */
export function segmentFile(parsed: WalFileName, content: Buffer, where: string): WalFile {
  const header = readSegmentHeader(content, where);
  // The first segment of a new timeline starts with the parent's pages (copied up to the switch point), so its header may name an older timeline; never a newer one.
  if (header.timeline > parsed.timeline && parsed.kind === 'segment') {
    throw new LifeboatError(`${where} is named for timeline ${parsed.timeline} but its header says timeline ${header.timeline}`);
  }
  return { ...parsed, content, systemIdentifier: header.systemIdentifier, segmentBytes: header.segmentBytes };
}
