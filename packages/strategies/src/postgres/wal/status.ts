import { ageVerdict, describeError, formatBytes, formatDuration, type ArchiveProblem, type ArchiveStatus, type ArchiveStatusContext, type Manifest } from '@lifeboat/core';
import { walFileOf, type BaseBackupFacts } from '../base-backup.js';
import type { PostgresConfig } from '../config.js';
import type { WalEntry } from './archive-layout.js';
import { listArchive } from './archive-listing.js';
import { connectComponent, readArchiver, type ArchiverState } from './live-server.js';
import type { WalSpoolBacklog } from './spool.js';
import { timelineReport } from './verify.js';

export interface WalStatusOptions {
  /** The spool backlog of the asynchronous mode (its own module provides it); no line without one. */
  spoolBacklog?: (ctx: ArchiveStatusContext<PostgresConfig>) => Promise<WalSpoolBacklog | undefined>;
}

/** What `status --json` shows of the WAL archive, under the component's `archive.fields.wal`. */
export interface WalStatusFields {
  walRpoMs: number;
  /** The newest archived segment in any destination that answered. */
  lastSegment?: { file: string; archivedAt: string; ageMs: number; destinations: string[] };
  /** The server has written nothing since the last archived segment (it was reachable to say so): nothing is at risk however old the segment. */
  caughtUp?: boolean;
  destinations: Array<{ destination: string; files: number; bytes: number; last?: string; lastArchivedAt?: string; missing: string[]; error?: string }>;
  /** Segments no destination holds, after the oldest base backup's first WAL file: a restore cannot pass them. */
  missing: string[];
  /** Timelines after the first whose .history is in no destination. */
  historyMissing: number[];
  archiver?: ArchiverState;
  /** Why the server was not asked. */
  archiverError?: string;
  /** From the end of the oldest base backup the archive can replay from, to the newest archived segment. */
  window?: { from: string; baseBackup: string; startWalFile: string; to: string; toFile: string };
  spool?: WalSpoolBacklog;
}

/**
 * Status of a component's WAL archive: the newest archived segment against
 * `pitr.walRpo`, PostgreSQL's own archiver (pg_stat_archiver, only if the
 * server answers), segments missing after the oldest base backup, and the
 * window a restore to a point can reach.
 */
export async function walStatus(ctx: ArchiveStatusContext<PostgresConfig>, opts: WalStatusOptions = {}): Promise<ArchiveStatus> {
  const { component, config, now } = ctx;
  const walRpoMs = config.pitr!.walRpo;
  const problems: ArchiveProblem[] = [];
  const lines: string[] = [];
  const flag = (health: ArchiveProblem['health'], severity: ArchiveProblem['severity'], reason: string) => problems.push({ health, severity, reason });
  const fields: WalStatusFields = { walRpoMs, destinations: [], missing: [], historyMissing: [] };

  // Every destination's files; a restore's `wal get` takes each file from whichever destination has it.
  const union = new Map<string, { entry: WalEntry; destinations: string[] }>();
  let systemIdentifier: string | undefined;
  for (const name of ctx.reachable) {
    const repository = ctx.engine.registry.repository(ctx.engine.plan, name);
    try {
      const listing = await listArchive(repository, component);
      if (!listing) {
        fields.destinations.push({ destination: name, files: 0, bytes: 0, missing: [] });
        continue;
      }
      systemIdentifier ??= listing.systemIdentifier;
      const usable = listing.files.filter((f) => f.object).map((f) => f.entry);
      for (const entry of usable) {
        const known = union.get(entry.file);
        if (known) known.destinations.push(name);
        else union.set(entry.file, { entry, destinations: [name] });
      }
      const newest = newestSegment(usable);
      fields.destinations.push({
        destination: name,
        files: usable.length,
        bytes: listing.files.reduce((n, f) => n + (f.object?.bytes ?? 0), 0),
        ...(newest ? { last: newest.file, lastArchivedAt: newest.archivedAt } : {}),
        missing: gapsOf(usable),
      });
    } catch (err) {
      const error = `cannot read the WAL archive of ${component} in ${repository.description}: ${describeError(err)}`;
      fields.destinations.push({ destination: name, files: 0, bytes: 0, missing: [], error });
      flag('warning', 'sev3', error);
    }
  }
  const entries = [...union.values()].map((u) => u.entry);
  const baseBackups = ctx.backups
    .map((m) => ({ id: m.id, facts: baseBackupOf(m) }))
    .filter((b): b is { id: string; facts: BaseBackupFacts } => b.facts !== undefined && (!systemIdentifier || b.facts.systemIdentifier === systemIdentifier))
    .sort((a, b) => a.facts.startWalFile.slice(8).localeCompare(b.facts.startWalFile.slice(8)) || a.facts.startTime.localeCompare(b.facts.startTime));
  const oldestStart = baseBackups[0]?.facts.startWalFile;

  let archiver: ArchiverState | undefined;
  try {
    const { client } = await connectComponent(ctx.engine, component, config);
    try {
      archiver = await readArchiver(client);
    } finally {
      await client.end().catch(() => undefined);
    }
    fields.archiver = archiver;
  } catch (err) {
    fields.archiverError = describeError(err);
    flag('warning', 'sev3', `cannot ask ${component}'s server about its archiver (${fields.archiverError}); the archive is judged by its own times only`);
  }

  const newest = newestSegment(entries);
  if (!newest) {
    if (fields.destinations.some((d) => !d.error)) {
      flag('critical', 'sev2', `no WAL segment of ${component} has been archived yet, though it has pitr: (is archive_command set? lifeboat wal setup ${component} --check)`);
    }
    lines.push(`WAL: nothing archived yet (walRpo ${formatDuration(walRpoMs)})`);
  } else {
    const ageMs = Math.max(0, now.getTime() - Date.parse(newest.archivedAt));
    const holders = union.get(newest.file)!.destinations;
    fields.lastSegment = { file: newest.file, archivedAt: newest.archivedAt, ageMs, destinations: holders };
    // A server that has written nothing since that segment has nothing at risk, however old it is.
    const caughtUp = archiver !== undefined && walFileOf(archiver.timeline, archiver.insertLsn, archiver.walSegmentBytes) <= newest.file && archiver.timeline === newest.timeline;
    if (archiver) fields.caughtUp = caughtUp;
    const verdict = caughtUp ? { health: 'ok' as const } : ageVerdict(ageMs, walRpoMs);
    if (verdict.severity && verdict.health !== 'ok') {
      flag(
        verdict.health,
        verdict.severity,
        `the newest archived WAL segment of ${component} (${newest.file}) is ${formatDuration(ageMs)} old, ${verdict.relation} its walRpo of ${formatDuration(walRpoMs)}`,
      );
    }
    lines.push(
      `WAL: last ${newest.file} archived ${formatDuration(ageMs)} ago (walRpo ${formatDuration(walRpoMs)}) in ${holders.join(', ')}${caughtUp ? '; nothing written since' : ''}`,
    );
  }

  if (archiver) {
    const failures = archiver.failedCount > 0 ? `, ${archiver.failedCount} failed (last ${archiver.lastFailedWal ?? '?'} at ${archiver.lastFailedTime ?? '?'})` : ', 0 failed';
    const waiting = archiver.ready !== undefined ? `, ${archiver.ready} waiting` : '';
    lines.push(`archiver: ${archiver.failing ? 'FAILING' : 'ok'}: ${archiver.archivedCount} archived${failures}${waiting}${archiver.statsReset ? ` since ${archiver.statsReset}` : ''}`);
    if (archiver.failing) {
      flag(
        'critical',
        'sev2',
        `PostgreSQL's archiver of ${component} is failing: ${archiver.failedCount} failed attempt(s), the last for ${archiver.lastFailedWal ?? '?'} at ${archiver.lastFailedTime ?? '?'}${archiver.lastArchivedWal ? ` (last success ${archiver.lastArchivedWal} at ${archiver.lastArchivedTime})` : ' (no success since the statistics were reset)'}; WAL piles up in pg_wal until archive_command succeeds — see the server log`,
      );
    }
  }

  if (baseBackups.length === 0) {
    if (newest) flag('critical', 'sev2', `${component} has no base backup${systemIdentifier ? ` of cluster ${systemIdentifier}` : ''}, so its archived WAL cannot be replayed; lifeboat backup ${component} takes one`);
  } else {
    // Gaps that matter: after the oldest base backup's first WAL file (older WAL is prune's to remove).
    const relevant = (file: string) => file.slice(8) >= oldestStart!.slice(8);
    fields.missing = gapsOf(entries).filter(relevant);
    for (const d of fields.destinations) d.missing = d.missing.filter(relevant);
    if (fields.missing.length > 0) {
      flag('critical', 'sev2', `the WAL archive of ${component} lacks ${fields.missing.length} segment(s) in every destination (${summarize(fields.missing)}): a restore cannot replay past them`);
    }
    for (const d of fields.destinations) {
      const only = d.missing.filter((f) => !fields.missing.includes(f));
      if (only.length > 0) flag('warning', 'sev3', `destination '${d.destination}' lacks ${only.length} WAL segment(s) of ${component} that another destination holds (${summarize(only)})`);
    }
    const timelines = [...new Set(entries.map((e) => e.timeline))].filter((t) => t > 1);
    fields.historyMissing = timelines.filter((t) => !entries.some((e) => e.kind === 'history' && e.timeline === t));
    for (const t of fields.historyMissing) flag('critical', 'sev2', `the WAL archive of ${component} has segments of timeline ${t} but not its .history: recovery cannot follow the switch to it`);
    lines.push(fields.missing.length === 0 ? `WAL: no segment missing since ${oldestStart} (oldest base backup ${baseBackups[0]!.id})` : `WAL: ${fields.missing.length} segment(s) MISSING: ${summarize(fields.missing)}`);

    // The window starts at the oldest base backup with no missing segment after its start on its timeline.
    const from = baseBackups.find((b) => !fields.missing.some((m) => m.slice(0, 8) === b.facts.startWalFile.slice(0, 8) && m > b.facts.startWalFile));
    if (from && newest) {
      fields.window = { from: from.facts.stopTime, baseBackup: from.id, startWalFile: from.facts.startWalFile, to: newest.archivedAt, toFile: newest.file };
      lines.push(`recoverable window: ${from.facts.stopTime} (end of base backup ${from.id}) → ${newest.archivedAt} (${newest.file})`);
    } else lines.push('recoverable window: none (no base backup is followed by a complete archive)');
  }

  const backlog = await opts.spoolBacklog?.(ctx).catch((err: unknown) => {
    flag('warning', 'sev3', `cannot read the WAL spool of ${component}: ${describeError(err)}`);
    return undefined;
  });
  if (backlog) {
    fields.spool = backlog;
    lines.push(
      `spool backlog on this host (${backlog.spool}): ${backlog.files} file(s), ${formatBytes(backlog.bytes)} of ${formatBytes(backlog.maxBytes)}` +
        `${backlog.oldest ? `, oldest ${backlog.oldest.file} waiting ${formatDuration(backlog.oldest.ageSeconds * 1000)}` : ''}` +
        `; pusher ${backlog.pusher.running ? `running (pid ${backlog.pusher.pid ?? '?'})` : 'not running'}` +
        `${backlog.lastError ? `; last error: ${backlog.lastError.file}: ${backlog.lastError.message}` : ''}`,
    );
    if (backlog.failing > 0) {
      flag('critical', 'sev2', `${backlog.failing} spooled WAL file(s) of ${component} fail to be delivered (${backlog.lastError?.message ?? 'see wal backlog'}); they exist on this host only`);
    }
    // The spool's oldest file is on this host only: it counts against walRpo like an archived segment's age.
    if (backlog.oldest && backlog.oldest.ageSeconds * 1000 > walRpoMs) {
      flag('critical', 'sev2', `WAL file ${backlog.oldest.file} of ${component} has waited ${formatDuration(backlog.oldest.ageSeconds * 1000)} in the spool, longer than walRpo ${formatDuration(walRpoMs)}`);
    }
  }

  const metrics: NonNullable<ArchiveStatus['metrics']> = [{ name: 'lifeboat_wal_rpo_seconds', help: 'pitr.walRpo of the component.', value: walRpoMs / 1000 }];
  if (fields.lastSegment) {
    metrics.push(
      { name: 'lifeboat_wal_last_archived_timestamp_seconds', help: 'When the newest archived WAL segment was stored.', value: Date.parse(fields.lastSegment.archivedAt) / 1000 },
      { name: 'lifeboat_wal_missing_segments', help: 'WAL segments after the oldest base backup that no destination holds.', value: fields.missing.length },
    );
  }
  if (archiver) metrics.push({ name: 'lifeboat_wal_archiver_failed_count', help: "pg_stat_archiver.failed_count of the component's server.", value: archiver.failedCount });
  if (fields.window) metrics.push({ name: 'lifeboat_recovery_window_start_timestamp_seconds', help: 'The earliest time a restore to a point can reach.', value: Date.parse(fields.window.from) / 1000 });
  if (backlog) metrics.push({ name: 'lifeboat_wal_spool_files', help: 'WAL files waiting in the local spool.', value: backlog.files });
  return { fields: { wal: fields }, lines, problems, metrics };
}

function newestSegment(entries: WalEntry[]): WalEntry | undefined {
  let newest: WalEntry | undefined;
  for (const e of entries) {
    if (e.kind !== 'segment' && e.kind !== 'partial') continue;
    if (!newest || e.archivedAt > newest.archivedAt || (e.archivedAt === newest.archivedAt && e.file > newest.file)) newest = e;
  }
  return newest;
}

/** Segments missing between the first and last of each timeline. */
function gapsOf(entries: WalEntry[]): string[] {
  const byTimeline = new Map<number, WalEntry[]>();
  for (const e of entries) {
    const list = byTimeline.get(e.timeline);
    if (list) list.push(e);
    else byTimeline.set(e.timeline, [e]);
  }
  return [...byTimeline].flatMap(([timeline, list]) => timelineReport(timeline, list).missing);
}

function baseBackupOf(manifest: Manifest): BaseBackupFacts | undefined {
  const facts = manifest.facts.baseBackup as BaseBackupFacts | undefined;
  return facts && typeof facts.startWalFile === 'string' && typeof facts.stopTime === 'string' ? facts : undefined;
}

function summarize(files: string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.slice(0, 2).join(', ')} … ${files.at(-1)}`;
}
