import { describe, expect, it } from 'vitest';
import { assessStatus } from './status.js';
import { H, at, backup, drilled, plan } from './test/status-fixtures.js';

describe('status under faults (issue 11)', () => {
  it('fault 11.5: a backup dated a year ahead is a warning naming it, never fresh, and no age is negative', () => {
    const real = backup('2026-02-14T02:00:00.000Z');
    const ahead = backup('2027-02-14T02:00:00.000Z');
    const status = assessStatus(plan(), [real, ahead], [drilled], at(2))[0]!;
    expect(status).toMatchObject({
      health: 'warning',
      severity: 'sev3',
      freshness: 'ok',
      ageMs: 2 * H,
      lastBackup: { id: real.id, finishedAt: real.manifest.finishedAt },
      datedInFuture: [{ id: ahead.id, finishedAt: ahead.manifest.finishedAt, aheadMs: 365 * 24 * H - 2 * H }],
    });
    expect(status.reasons).toEqual([
      `backup ${ahead.id} of database is dated 364d 22h in the future (finished 2027-02-14T02:00:00.000Z): clock skew on the writing host? It does not count as fresh and prune keeps it`,
    ]);

    // Freshness comes from the newest real backup: a day and a half later it is past the RPO, whatever the future one says.
    expect(assessStatus(plan(), [real, ahead], [drilled], at(30))[0]).toMatchObject({ health: 'critical', freshness: 'critical', ageMs: 30 * H });
  });

  it('fault 11.5: with only backups dated in the future, the component has no fresh backup at all', () => {
    const status = assessStatus(plan(), [backup('2027-02-14T02:00:00.000Z')], [drilled], at(2))[0]!;
    expect(status).toMatchObject({ health: 'critical', severity: 'sev2', freshness: 'never' });
    expect(status.ageMs).toBeUndefined();
    expect(status.lastBackup).toBeUndefined();
    expect(status.reasons).toContain('database has no backup dated before now, only ones dated in the future');
  });

  it('fault 11.5: a backup finished a minute "after" now (clock skew within tolerance) is fresh with age 0, not negative', () => {
    const status = assessStatus(plan(), [backup('2026-02-14T02:01:00.000Z')], [drilled], at(0))[0]!;
    expect(status).toMatchObject({ health: 'ok', ageMs: 0 });
    expect(status.datedInFuture).toBeUndefined();
  });
});
