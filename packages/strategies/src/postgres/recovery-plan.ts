import { LifeboatError, UsageError } from '@lifeboat/core';
import type { BaseBackupFacts } from './base-backup.js';
import { describeTarget, lsnValue, type RecoveryTarget } from './recovery-target.js';
import type { WalEntry } from './wal/archive-layout.js';
import { parseWalFileName } from './wal/wal-file.js';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** The WAL archive of a component as a restore sees it: a file is there when any destination holds it. */
export interface ArchiveView {
  component: string;
  systemIdentifier: string;
  /** By file name. */
  files: Map<string, WalEntry>;
  /** Each timeline's parents (from its `.history`), oldest first. */
  histories: Map<number, Array<{ timeline: number; switchLsn: string }>>;
}

export interface BaseBackupCandidate {
  id: string;
  baseBackup: BaseBackupFacts;
}

/** What a restore to a point replays: from the base backup through these WAL files. */
export interface RecoveryPlan {
  backupId: string;
  /** The timeline recovery ends on (the newest in the archive: recovery_target_timeline = latest). */
  timeline: number;
  /** First and last WAL file the archive must hand over, and how many, all checked present. */
  firstWal: string;
  lastWal: string;
  segments: number;
}

interface ChainLink {
  timeline: number;
  /** Where the chain left this timeline for the next; undefined for the last. */
  until?: bigint;
}

/**
 * Chooses the base backup for `target` and proves the archive can reach it:
 * the latest backup ending before the target on a timeline the archive's
 * newest timeline descends from (or `backupId`, which must be such a backup),
 * and every WAL segment from its first WAL file to the target (or to the end
 * of the archive, when the target's place is not known before replay).
 * Refusals say what is missing; nothing has been read whole or changed.
 */
export function planRecovery(input: { archive: ArchiveView; backups: BaseBackupCandidate[]; target: RecoveryTarget; backupId?: string }): RecoveryPlan {
  const { archive, backups, target } = input;
  const { component } = archive;
  const segmentBytes = [...archive.files.values()].find((e) => e.segmentBytes)?.segmentBytes ?? backups[0]?.baseBackup.walSegmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const chain = timelineChain(archive);
  const newest = chain.at(-1)!.timeline;

  const own = backups.filter((b) => b.baseBackup.systemIdentifier === archive.systemIdentifier);
  if (own.length === 0) {
    throw new UsageError(
      backups.length === 0
        ? `no backup of ${component} holds a base backup (backups taken before pitr: was added hold only a dump); run lifeboat backup ${component} first`
        : `no base backup of ${component} comes from the cluster whose WAL is archived (system identifier ${archive.systemIdentifier})`,
    );
  }
  // On the chain: the backup's timeline is one the newest descends from, and the backup ended before the chain left it.
  const onChain = own.filter((b) => {
    const link = chain.find((l) => l.timeline === b.baseBackup.timeline);
    return link !== undefined && (link.until === undefined || lsnValue(b.baseBackup.stopLsn) <= link.until);
  });
  const beforeTarget = (b: BaseBackupCandidate) =>
    target.kind === 'time' ? Date.parse(b.baseBackup.stopTime) <= target.at.getTime() : target.kind === 'lsn' ? lsnValue(b.baseBackup.stopLsn) <= lsnValue(target.lsn) : true;

  let chosen: BaseBackupCandidate | undefined;
  if (input.backupId) {
    chosen = backups.find((b) => b.id === input.backupId);
    if (!chosen) throw new UsageError(`backup ${input.backupId} of ${component} holds no base backup, so it cannot be restored to a point; lifeboat list ${component} shows which do`);
    if (!onChain.includes(chosen)) {
      throw new UsageError(`base backup ${chosen.id} (timeline ${chosen.baseBackup.timeline}) is not on the history of timeline ${newest}, which recovery follows; choose another --backup or leave it out`);
    }
    if (!beforeTarget(chosen)) {
      throw new UsageError(`base backup ${chosen.id} ends at ${chosen.baseBackup.stopTime} (LSN ${chosen.baseBackup.stopLsn}), after ${describeTarget(target)}; choose an older --backup or leave it out`);
    }
  } else {
    chosen = onChain.filter(beforeTarget).at(-1);
    if (!chosen) {
      const oldest = onChain[0] ?? own[0]!;
      if (onChain.length > 0) {
        throw new UsageError(
          `${describeTarget(target)} is before the oldest base backup of ${component} ends (${oldest.id}, at ${oldest.baseBackup.stopTime}, LSN ${oldest.baseBackup.stopLsn}); the archive can restore to points after that`,
        );
      }
      throw new LifeboatError(`no base backup of ${component} lies on the history of timeline ${newest}, which recovery follows; take a new base backup (lifeboat backup ${component})`);
    }
  }

  const facts = chosen.baseBackup;
  const number = (file: string) => {
    const parsed = parseWalFileName(file)!;
    return BigInt(parsed.log!) * (0x1_0000_0000n / BigInt(segmentBytes)) + BigInt(parsed.seg!);
  };
  const segmentOf = (lsn: bigint) => lsn / BigInt(segmentBytes);
  const nameOf = (timeline: number, n: bigint) => {
    const perLog = 0x1_0000_0000n / BigInt(segmentBytes);
    return hex8(timeline) + hex8(Number(n / perLog)) + hex8(Number(n % perLog));
  };
  // PostgreSQL reads segment n from the newest timeline of the chain that had begun by it (a switch's segment from the new timeline).
  const from = chain.findIndex((l) => l.timeline === facts.timeline);
  const timelineOf = (n: bigint) => {
    for (let i = from; i < chain.length; i++) {
      const until = chain[i]!.until;
      if (until === undefined || n < segmentOf(until)) return chain[i]!.timeline;
    }
    return newest;
  };
  const first = number(facts.startWalFile);
  let last = -1n;
  for (const entry of archive.files.values()) {
    if (entry.kind !== 'segment') continue;
    const n = number(entry.file);
    if (n >= first && timelineOf(n) === entry.timeline && n > last) last = n;
  }
  if (last < first) {
    throw new LifeboatError(`the WAL archive of ${component} holds none of the WAL of base backup ${chosen.id} (from ${facts.startWalFile}); nothing can be restored from it`);
  }
  const end = (what: string) => {
    const entry = archive.files.get(nameOf(timelineOf(last), last))!;
    return `${what} is after the end of the WAL archive of ${component}: its newest segment is ${entry.file}, archived at ${entry.archivedAt}`;
  };

  let stop: bigint | undefined;
  if (target.kind === 'immediate') stop = number(facts.stopWalFile);
  else if (target.kind === 'lsn') {
    stop = segmentOf(lsnValue(target.lsn));
    if (stop > last) throw new UsageError(end(describeTarget(target)));
  } else if (target.kind === 'time') {
    const lastEntry = archive.files.get(nameOf(timelineOf(last), last))!;
    if (Date.parse(lastEntry.archivedAt) < target.at.getTime()) throw new UsageError(end(describeTarget(target)));
  }
  const through = stop ?? last;
  let count = 0;
  let lastName = '';
  for (let n = first; n <= through; n++) {
    const name = nameOf(timelineOf(n), n);
    const entry = archive.files.get(name);
    if (!entry) {
      throw new LifeboatError(
        `WAL segment ${name} is missing from the archive of ${component}, and recovery from base backup ${chosen.id} (which starts at ${facts.startWalFile}) to ${describeTarget(target)} needs it; nothing was touched (lifeboat wal verify ${component} lists the archive)`,
      );
    }
    count++;
    lastName = name;
    // A time target lies in the first segment closed after it (or earlier): the rest is not needed.
    if (target.kind === 'time' && Date.parse(entry.archivedAt) >= target.at.getTime()) break;
  }
  return { backupId: chosen.id, timeline: newest, firstWal: facts.startWalFile, lastWal: lastName, segments: count };
}

/** The newest timeline in the archive and those it descends from, oldest first, each with where the chain left it. */
function timelineChain(archive: ArchiveView): ChainLink[] {
  let newest = 1;
  for (const entry of archive.files.values()) newest = Math.max(newest, entry.timeline);
  if (newest === 1) return [{ timeline: 1 }];
  const parents = archive.histories.get(newest);
  if (!parents) {
    const archived = archive.files.has(`${hex8(newest)}.history`);
    throw new LifeboatError(
      archived
        ? `${hex8(newest)}.history of ${archive.component} cannot be read (is the plan's encryption identity at hand?), so recovery cannot follow timeline ${newest}`
        : `timeline ${newest} of ${archive.component} has WAL in the archive but its ${hex8(newest)}.history is not archived, so recovery cannot follow it; lifeboat wal verify ${archive.component} shows the archive`,
    );
  }
  return [...parents.map((p) => ({ timeline: p.timeline, until: lsnValue(p.switchLsn) })), { timeline: newest }];
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}
