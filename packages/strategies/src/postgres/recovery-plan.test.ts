import { describe, expect, test } from 'vitest';
import type { BaseBackupFacts } from './base-backup.js';
import { planRecovery, type ArchiveView, type BaseBackupCandidate } from './recovery-plan.js';
import { recoverySettings, recoveryTargetOf } from './recovery-target.js';
import type { WalEntry } from './wal/archive-layout.js';

const MiB16 = 16 * 1024 * 1024;

function entry(file: string, archivedAt: string): WalEntry {
  const timeline = parseInt(file.slice(0, 8), 16);
  return {
    lifeboat: 'wal',
    format: 1,
    file,
    kind: file.endsWith('.history') ? 'history' : 'segment',
    timeline,
    systemIdentifier: '42',
    bytes: 1,
    sha256: 'x',
    ...(file.endsWith('.history') ? {} : { segmentBytes: MiB16 }),
    stored: { name: `${file}.gz`, bytes: 1, sha256: 'y', compression: 'gzip', encryption: 'none' } as unknown as WalEntry['stored'],
    archivedAt,
    tool: { name: 'lifeboat', version: 'test' },
  };
}

/** Segment n of timeline t, archived at minute n. */
const seg = (t: number, n: number) => entry(`${t.toString(16).padStart(8, '0')}00000000${n.toString(16).toUpperCase().padStart(8, '0')}`, `2026-02-14T12:${String(n).padStart(2, '0')}:00.000Z`);

function archive(entries: WalEntry[], histories: ArchiveView['histories'] = new Map()): ArchiveView {
  return { component: 'database', systemIdentifier: '42', files: new Map(entries.map((e) => [e.file, e])), histories };
}

function backup(id: string, startSeg: number, stopSeg: number, stopMinute: number, timeline = 1): BaseBackupCandidate {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return {
    id,
    baseBackup: {
      systemIdentifier: '42',
      timeline,
      startLsn: `0/${hex(startSeg * MiB16 + 0x28)}`,
      stopLsn: `0/${hex(stopSeg * MiB16 + 0x100)}`,
      startWalFile: `${hex(timeline)}00000000${hex(startSeg)}`,
      stopWalFile: `${hex(timeline)}00000000${hex(stopSeg)}`,
      startTime: `2026-02-14T12:${String(stopMinute).padStart(2, '0')}:00.000Z`,
      stopTime: `2026-02-14T12:${String(stopMinute).padStart(2, '0')}:30.000Z`,
      walSegmentBytes: MiB16,
      serverVersionNum: 150018,
    } as BaseBackupFacts,
  };
}

const time = (minute: number, second = 0) => recoveryTargetOf({ toTime: `2026-02-14 12:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}+00` })!;

describe('planRecovery: which base backup, and is every WAL file to the point archived', () => {
  const segments = [2, 3, 4, 5, 6, 7, 8].map((n) => seg(1, n));
  const backups = [backup('b1', 2, 2, 2), backup('b2', 5, 5, 5)];

  test('the latest base backup ending before the time, and the WAL up to the first segment closed after it', () => {
    expect(planRecovery({ archive: archive(segments), backups, target: time(6, 30) })).toEqual({
      backupId: 'b2',
      timeline: 1,
      firstWal: '000000010000000000000005',
      lastWal: '000000010000000000000007',
      segments: 3,
    });
    expect(planRecovery({ archive: archive(segments), backups, target: time(4) }).backupId).toBe('b1');
    expect(planRecovery({ archive: archive(segments), backups, target: recoveryTargetOf({ toLatest: true })! })).toMatchObject({ backupId: 'b2', lastWal: '000000010000000000000008', segments: 4 });
  });

  test('--backup must end before the point; a point before the oldest backup or after the archive is refused (exit 2)', () => {
    expect(planRecovery({ archive: archive(segments), backups, target: time(6), backupId: 'b1' })).toMatchObject({ backupId: 'b1', segments: 5 });
    expect(() => planRecovery({ archive: archive(segments), backups, target: time(4), backupId: 'b2' })).toThrow(/base backup b2 ends at .* after time/);
    const early = () => planRecovery({ archive: archive(segments), backups, target: time(1) });
    expect(early).toThrow('time 2026-02-14T12:01:00.000Z is before the oldest base backup of database ends (b1, at 2026-02-14T12:02:30.000Z');
    const late = () => planRecovery({ archive: archive(segments), backups, target: time(9) });
    expect(late).toThrow('is after the end of the WAL archive of database: its newest segment is 000000010000000000000008, archived at 2026-02-14T12:08:00.000Z');
    expect(() => planRecovery({ archive: archive(segments), backups, target: recoveryTargetOf({ toLsn: '0/F0000000' })! })).toThrow('after the end of the WAL archive');
  });

  test('a missing segment between the base backup and the point is named; one after the point does not matter', () => {
    const gap = segments.filter((e) => e.file !== '000000010000000000000007');
    expect(() => planRecovery({ archive: archive(gap), backups, target: recoveryTargetOf({ toLatest: true })! })).toThrow(
      'WAL segment 000000010000000000000007 is missing from the archive of database, and recovery from base backup b2 (which starts at 000000010000000000000005)',
    );
    expect(planRecovery({ archive: archive(gap), backups, target: time(5, 40) })).toMatchObject({ backupId: 'b2', lastWal: '000000010000000000000006' });
    expect(planRecovery({ archive: archive(gap), backups, target: recoveryTargetOf({ toImmediate: true })! })).toMatchObject({ lastWal: '000000010000000000000005', segments: 1 });
  });

  test('timelines: recovery follows the newest through its .history; the switch segment comes from the new timeline; a backup after the switch on the old one is not on the chain', () => {
    // Timeline 2 branched from timeline 1 at 0/6000100 (in segment 6).
    const history = new Map([[2, [{ timeline: 1, switchLsn: '0/6000100' }]]]);
    const files = [...segments, entry('00000002.history', '2026-02-14T12:20:00.000Z'), seg(2, 6), seg(2, 7)];
    files[files.length - 2] = { ...seg(2, 6), archivedAt: '2026-02-14T12:21:00.000Z' };
    files[files.length - 1] = { ...seg(2, 7), archivedAt: '2026-02-14T12:22:00.000Z' };
    const withB3 = [...backups, backup('b3', 7, 7, 7)];
    expect(planRecovery({ archive: archive(files, history), backups: withB3, target: recoveryTargetOf({ toLatest: true })! })).toEqual({
      backupId: 'b2',
      timeline: 2,
      firstWal: '000000010000000000000005',
      lastWal: '000000020000000000000007',
      segments: 3,
    });
    const noSwitchSegment = files.filter((e) => e.file !== '000000020000000000000006');
    expect(() => planRecovery({ archive: archive(noSwitchSegment, history), backups: withB3, target: recoveryTargetOf({ toLatest: true })! })).toThrow(
      'WAL segment 000000020000000000000006 is missing',
    );
    expect(() => planRecovery({ archive: archive(files), backups, target: recoveryTargetOf({ toLatest: true })! })).toThrow(
      '00000002.history of database cannot be read',
    );
    const noHistory = files.filter((e) => e.kind !== 'history');
    expect(() => planRecovery({ archive: archive(noHistory), backups, target: recoveryTargetOf({ toLatest: true })! })).toThrow(
      'timeline 2 of database has WAL in the archive but its 00000002.history is not archived',
    );
  });
});

describe('recovery targets: exactly one, checked, and written as PostgreSQL reads them', () => {
  test('a time keeps its microseconds and needs a zone', () => {
    expect(recoverySettings(recoveryTargetOf({ toTime: '2026-02-14 12:00:00.123456+00' })!)).toEqual({
      recovery_target_time: '2026-02-14 12:00:00.123456+00:00',
      recovery_target_timeline: 'latest',
      recovery_target_action: 'promote',
    });
    expect(recoveryTargetOf({ toTime: '2026-02-14T12:00:00Z' })).toMatchObject({ kind: 'time', text: '2026-02-14 12:00:00+00:00' });
    expect(recoveryTargetOf({ toTime: '2026-02-14 07:00:00-0500' })).toMatchObject({ at: new Date('2026-02-14T12:00:00Z') });
    expect(() => recoveryTargetOf({ toTime: '2026-02-14 12:00:00' })).toThrow('is not a time with a zone');
    expect(() => recoveryTargetOf({ toTime: '2026-02-30 12:00:00+00' })).toThrow('is not a real calendar time');
  });

  test('LSN, xid, name, latest, immediate; two at once is refused', () => {
    expect(recoverySettings(recoveryTargetOf({ toLsn: '0/05000060' })!)).toMatchObject({ recovery_target_lsn: '0/5000060' });
    expect(recoverySettings(recoveryTargetOf({ toXid: '7421' })!)).toMatchObject({ recovery_target_xid: '7421' });
    expect(recoverySettings(recoveryTargetOf({ toName: 'before-migration' })!)).toMatchObject({ recovery_target_name: 'before-migration' });
    expect(recoverySettings(recoveryTargetOf({ toImmediate: true })!)).toMatchObject({ recovery_target: 'immediate', recovery_target_action: 'promote' });
    expect(recoverySettings(recoveryTargetOf({ toLatest: true })!)).toEqual({ recovery_target_timeline: 'latest' });
    expect(recoveryTargetOf({})).toBeUndefined();
    expect(() => recoveryTargetOf({ toLsn: '5000060' })).toThrow('is not a WAL location');
    expect(() => recoveryTargetOf({ toXid: '-3' })).toThrow('is not a transaction id');
    expect(() => recoveryTargetOf({ toLatest: true, toTime: '2026-02-14 12:00:00+00' })).toThrow('--to-time and --to-latest both name the point');
  });
});
