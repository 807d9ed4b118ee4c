import { describe, expect, test } from 'vitest';
import type { CatalogEntry, RunRecord } from '@lifeboat/core';
import { backupsReducer, factLines, heldBy, initialBackups, selectedEntry, verifiedAt } from './backups-state.js';
import { backupsIntent } from './use-backups-keys.js';

const entry = (id: string, finishedAt: string): CatalogEntry =>
  ({ id, component: 'database', destinations: ['primary'], manifest: { id, component: 'database', finishedAt, startedAt: finishedAt, facts: {}, artifacts: [] } }) as unknown as CatalogEntry;

const verify = (startedAt: string, outcome: 'ok' | 'failed', samplePct = 100): RunRecord =>
  ({
    id: startedAt,
    operation: 'verify',
    startedAt,
    finishedAt: startedAt,
    components: [{ component: 'database', outcome, durationMs: 1, details: { samplePct } }],
  }) as unknown as RunRecord;

describe('backups', () => {
  test('newest first; restore opens the wizard on the selected backup', () => {
    let s = backupsReducer(initialBackups, { type: 'loaded', entries: [entry('A', '2026-01-01'), entry('B', '2026-01-02')], journal: [], pins: {}, warnings: [] });
    expect(selectedEntry(s)?.id).toBe('B');
    s = backupsReducer(s, { type: 'move', by: 1 });
    expect(backupsIntent('restore', s, 'database', 5)).toEqual({ kind: 'navigate', route: { screen: 'restore', component: 'database', backupId: 'A' } });
    expect(backupsIntent('down', s, 'database', 5)).toEqual({ kind: 'dispatch', action: { type: 'move', by: 1 } });
  });

  test('nothing to restore on an empty list', () => {
    const s = backupsReducer(initialBackups, { type: 'loaded', entries: [], journal: [], pins: {}, warnings: [] });
    expect(backupsIntent('restore', s, 'database', 5)).toBeUndefined();
  });

  test('verified: a full verify that passed after the backup was written', () => {
    const b = entry('A', '2026-01-02T00:00:00Z');
    expect(verifiedAt(b, [verify('2026-01-01T00:00:00Z', 'ok')])).toBeUndefined();
    expect(verifiedAt(b, [verify('2026-01-03T00:00:00Z', 'failed')])).toBeUndefined();
    expect(verifiedAt(b, [verify('2026-01-03T00:00:00Z', 'ok', 10)])).toBeUndefined();
    expect(verifiedAt(b, [verify('2026-01-03T00:00:00Z', 'ok'), verify('2026-01-04T00:00:00Z', 'ok')])).toBe('2026-01-04T00:00:00Z');
  });

  test("held: a legal hold of the plan that is still active and covers the backup's time", () => {
    const b = entry('A', '2026-11-03T12:00:00Z');
    const hold = { component: 'database', from: '2026-11-01', to: '2026-11-05', until: '2028-09-03', reason: 'election + 22 months' };
    expect(heldBy(b, [hold], new Date('2027-01-01'))).toBe(hold);
    expect(heldBy(b, [hold], new Date('2029-01-01'))).toBeUndefined();
    expect(heldBy(b, [{ ...hold, to: '2026-11-02' }], new Date('2027-01-01'))).toBeUndefined();
    expect(heldBy(b, [{ ...hold, component: 'redis' }], new Date('2027-01-01'))).toBeUndefined();
  });

  test('manifest facts: scalars on one line, each table of figures on its own', () => {
    const lines = factLines({ serverVersion: '15.4', databaseBytes: 2048, tables: { users: 3000, cities: 60 } }, (k, v) => (k === 'databaseBytes' ? `${v / 1024} KiB` : String(v)));
    expect(lines).toEqual(['serverVersion 15.4 · databaseBytes 2 KiB', 'tables: users 3000 · cities 60']);
  });
});
