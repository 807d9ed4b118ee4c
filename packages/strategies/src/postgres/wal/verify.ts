import { describeError, type EngineContext, type Repository } from '@lifeboat/core';
import { clusterKey, clusterPrefix, parseClusterMarker, parseEntry, type WalEntry } from './archive-layout.js';
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

/** One destination's WAL archive of a component, as listed: every entry, the stored objects without one, and what could not be read. */
export interface ArchiveListing {
  destination: string;
  systemIdentifier?: string;
  entries: WalEntry[];
  /** Timelines' `.history` contents (parents, oldest first), where readable. */
  histories: Map<number, Array<{ timeline: number; switchLsn: string; reason: string }>>;
  problems: string[];
}

/**
 * Lists a destination's archive of `component` (reading every entry, and each
 * timeline's `.history` when the identity is at hand). Problems are collected,
 * never thrown: a caller decides what a problem means to it.
 */
export async function listArchive(ctx: EngineContext, repository: Repository, component: string): Promise<ArchiveListing & { orphans: string[] }> {
  const listing: ArchiveListing & { orphans: string[] } = { destination: repository.name, entries: [], histories: new Map(), problems: [], orphans: [] };
  try {
    const marker = await repository.answered(repository.adapter.getVersioned(clusterKey(component)));
    if (!marker) {
      listing.problems.push(`no WAL archived for ${component} yet (${clusterKey(component)} is missing)`);
      return listing;
    }
    const cluster = parseClusterMarker(marker.bytes.toString('utf8'));
    if (!cluster) {
      listing.problems.push(`${clusterKey(component)} is not a WAL cluster marker`);
      return listing;
    }
    listing.systemIdentifier = cluster.systemIdentifier;
    const prefix = clusterPrefix(component, cluster.systemIdentifier);
    const objects = new Set<string>();
    for await (const object of repository.adapter.list(prefix)) {
      const rest = object.key.slice(prefix.length);
      if (rest.endsWith('.json')) {
        const found = await repository.answered(repository.adapter.getVersioned(object.key));
        const entry = found && parseEntry(found.bytes.toString('utf8'));
        if (entry) listing.entries.push(entry);
        else listing.problems.push(`${object.key} is not a WAL entry`);
      } else objects.add(rest);
    }
    for (const entry of listing.entries) {
      if (!objects.delete(`${entry.file.slice(0, 8)}/${entry.stored.name}`)) {
        listing.problems.push(`${entry.file}: its entry is there but its stored object ${entry.stored.name} is missing`);
      }
    }
    listing.orphans = [...objects];
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

async function verifyDestination(ctx: EngineContext, repository: Repository, component: string): Promise<WalDestinationReport> {
  const listing = await listArchive(ctx, repository, component);
  const report: WalDestinationReport = {
    destination: repository.name,
    ...(listing.systemIdentifier ? { systemIdentifier: listing.systemIdentifier } : {}),
    timelines: [],
    problems: [...listing.problems],
    ok: false,
  };
  for (const left of listing.orphans) report.problems.push(`${left} has no entry (an interrupted push; the next push of it replaces it)`);
  const byTimeline = new Map<number, WalEntry[]>();
  for (const entry of listing.entries) byTimeline.set(entry.timeline, [...(byTimeline.get(entry.timeline) ?? []), entry]);
  for (const [timeline, list] of [...byTimeline].sort((a, b) => a[0] - b[0])) {
    const t = timelineReport(timeline, list);
    const parents = listing.histories.get(timeline);
    if (parents) t.parents = parents;
    report.timelines.push(t);
  }
  for (const t of report.timelines) {
    if (t.missing.length > 0) report.problems.push(`timeline ${t.timeline}: ${t.missing.length} segment(s) missing between ${t.first} and ${t.last}: ${t.missing.join(', ')}`);
    if (t.timeline > 1 && !t.history) report.problems.push(`timeline ${t.timeline}: ${hex8(t.timeline)}.history is not archived, so recovery cannot follow the switch to it`);
  }
  report.ok = report.problems.length === 0;
  return report;
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function timelineReport(timeline: number, entries: WalEntry[]): TimelineReport {
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
