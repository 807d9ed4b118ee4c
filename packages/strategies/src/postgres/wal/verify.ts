import { describeError, type EngineContext, type Repository } from '@lifeboat/core';
import { clusterKey, clusterPrefix, type WalEntry } from './archive-layout.js';
import { listArchive } from './archive-listing.js';
import { parseWalFileName } from './wal-file.js';
import { entryContent } from './get.js';
import { walComponent } from './wal-component.js';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export interface TimelineReport {
  timeline: number;
  first?: string;
  last?: string;
  segments: number;
  /** Segment names missing between the first and the last. */
  missing: string[];
  /** `<timeline>.history` is archived (timeline 1 has none). */
  history: boolean;
  /**
   * What the history file says: the timelines before this one and where each
   * was left (`switchLsn`), oldest first. Absent when it could not be read
   * (encrypted and no identity on this host).
   */
  parents?: Array<{ timeline: number; switchLsn: string; reason: string }>;
  /** Backup history files (`.backup`) and partial segments (`.partial`). */
  backupFiles: string[];
  partials: string[];
}

export interface WalDestinationReport {
  destination: string;
  systemIdentifier?: string;
  timelines: TimelineReport[];
  /** Entries whose stored object is gone, stored objects without an entry (an interrupted push). */
  problems: string[];
  ok: boolean;
}

export interface WalVerifyReport {
  component: string;
  destinations: WalDestinationReport[];
  ok: boolean;
}

/** Lists each destination's archive of `component` and names what a recovery through it would miss. */
export async function walVerify(ctx: EngineContext, component: string): Promise<WalVerifyReport> {
  const { repositories } = walComponent(ctx, component);
  const destinations = await Promise.all(repositories.map((r) => verifyDestination(ctx, r, component)));
  return { component, destinations, ok: destinations.every((d) => d.ok) };
}

async function verifyDestination(ctx: EngineContext, repository: Repository, component: string): Promise<WalDestinationReport> {
  const report: WalDestinationReport = { destination: repository.name, timelines: [], problems: [], ok: false };
  try {
    const listing = await listArchive(repository, component);
    if (!listing) {
      report.problems.push(`no WAL archived for ${component} yet (${clusterKey(component)} is missing)`);
      return report;
    }
    report.systemIdentifier = listing.systemIdentifier;
    report.problems.push(...listing.problems);
    const byTimeline = new Map<number, WalEntry[]>();
    for (const { entry, object } of listing.files) {
      if (!object) report.problems.push(`${entry.file}: its entry is there but its stored object ${entry.stored.name} is missing`);
      const list = byTimeline.get(entry.timeline) ?? [];
      list.push(entry);
      byTimeline.set(entry.timeline, list);
    }
    const prefix = clusterPrefix(component, listing.systemIdentifier);
    for (const left of listing.orphans) report.problems.push(`${left.key.slice(prefix.length)} has no entry (an interrupted push; the next push of it replaces it)`);
    for (const [timeline, list] of [...byTimeline].sort((a, b) => a[0] - b[0])) {
      report.timelines.push(timelineReport(timeline, list));
    }
    for (const t of report.timelines) {
      const history = byTimeline.get(t.timeline)?.find((e) => e.kind === 'history');
      if (history && (history.stored.encryption !== 'age' || ctx.plan.encryption?.identity)) {
        try {
          const text = Buffer.concat(await (await entryContent(ctx, repository, component, history)).toArray()).toString('utf8');
          t.parents = parseHistory(text);
        } catch (err) {
          report.problems.push(`timeline ${t.timeline}: ${history.file} cannot be read: ${describeError(err)}`);
        }
      }
    }
    for (const t of report.timelines) {
      if (t.missing.length > 0) report.problems.push(`timeline ${t.timeline}: ${t.missing.length} segment(s) missing between ${t.first} and ${t.last}: ${t.missing.join(', ')}`);
      if (t.timeline > 1 && !t.history) report.problems.push(`timeline ${t.timeline}: ${hex8(t.timeline)}.history is not archived, so recovery cannot follow the switch to it`);
    }
  } catch (err) {
    report.problems.push(`${repository.description}: ${describeError(err)}`);
  }
  report.ok = report.problems.length === 0;
  return report;
}

export function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

export function timelineReport(timeline: number, entries: WalEntry[]): TimelineReport {
  const segments = entries.filter((e) => e.kind === 'segment');
  const segmentBytes = segments.find((e) => e.segmentBytes)?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const perLog = Math.floor(0x1_0000_0000 / segmentBytes);
  const number = (name: string) => {
    const parsed = parseWalFileName(name)!;
    return parsed.log! * perLog + parsed.seg!;
  };
  const numbers = segments.map((e) => number(e.file)).sort((a, b) => a - b);
  const present = new Set(numbers);
  const missing: string[] = [];
  const first = numbers[0];
  const last = numbers.at(-1);
  if (first !== undefined && last !== undefined) {
    for (let n = first + 1; n < last; n++) {
      if (!present.has(n)) missing.push(hex8(timeline) + hex8(Math.floor(n / perLog)) + hex8(n % perLog));
    }
  }
  const name = (n: number | undefined) => (n === undefined ? undefined : hex8(timeline) + hex8(Math.floor(n / perLog)) + hex8(n % perLog));
  return {
    timeline,
    ...(first !== undefined ? { first: name(first), last: name(last) } : {}),
    segments: numbers.length,
    missing,
    history: entries.some((e) => e.kind === 'history'),
    backupFiles: entries.filter((e) => e.kind === 'backup').map((e) => e.file).sort(),
    partials: entries.filter((e) => e.kind === 'partial').map((e) => e.file).sort(),
  };
}

/** A timeline history file: `<parent timeline>\t<switch LSN>\t<reason>` per line, `#` comments. */
export function parseHistory(text: string): Array<{ timeline: number; switchLsn: string; reason: string }> {
  const parents: Array<{ timeline: number; switchLsn: string; reason: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)\s*(.*)$/.exec(line);
    if (m) parents.push({ timeline: Number(m[1]), switchLsn: m[2]!.toUpperCase(), reason: m[3]!.trim() });
  }
  return parents;
}

/** One destination's archive as a restore to a point reads it: the files whose stored object is there, and each timeline's `.history`. */
export interface RecoveryListing {
  destination: string;
  systemIdentifier?: string;
  /** Entries whose stored object is listed: one without its object is missing, as far as a recovery goes. */
  entries: WalEntry[];
  /** Timelines' `.history` contents (parents, oldest first), where readable. */
  histories: Map<number, Array<{ timeline: number; switchLsn: string; reason: string }>>;
  problems: string[];
}

/**
 * `listArchive` plus the timelines' `.history` files (read when the identity
 * is at hand). Problems are collected, never thrown: the caller decides.
 */
export async function listRecoveryArchive(ctx: EngineContext, repository: Repository, component: string): Promise<RecoveryListing> {
  const listing: RecoveryListing = { destination: repository.name, entries: [], histories: new Map(), problems: [] };
  try {
    const found = await listArchive(repository, component);
    if (!found) {
      listing.problems.push(`no WAL archived for ${component} yet (${clusterKey(component)} is missing)`);
      return listing;
    }
    listing.systemIdentifier = found.systemIdentifier;
    listing.problems.push(...found.problems);
    for (const { entry, object } of found.files) {
      if (object) listing.entries.push(entry);
      else listing.problems.push(`${entry.file}: its entry is there but its stored object ${entry.stored.name} is missing`);
    }
    for (const history of listing.entries.filter((e) => e.kind === 'history')) {
      if (history.stored.encryption === 'age' && !ctx.plan.encryption?.identity) continue;
      try {
        const text = Buffer.concat(await (await entryContent(ctx, repository, component, history)).toArray()).toString('utf8');
        listing.histories.set(history.timeline, parseHistory(text));
      } catch (err) {
        listing.problems.push(`timeline ${history.timeline}: ${history.file} cannot be read: ${describeError(err)}`);
      }
    }
  } catch (err) {
    listing.problems.push(`${repository.description}: ${describeError(err)}`);
  }
  return listing;
}
