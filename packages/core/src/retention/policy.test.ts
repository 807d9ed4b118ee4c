import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LegalHold, RetentionPolicy } from '../plan/types.js';
import { isoWeek, periodOf } from './periods.js';
import { decideRetention, type RetentionCandidate, type RetentionDecision } from './policy.js';
import { backupsArb, holdArb, holdsArb, nowArb, policyArb, widerArb } from '../test/retention-arbitraries.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

/** A backup finished at `iso`, named by its time so that failures read well. */
function backup(iso: string, pinned?: string): RetentionCandidate {
  return { id: at(iso).toISOString(), finishedAt: at(iso), ...(pinned ? { pinned: { reason: pinned } } : {}) };
}

/** One backup a day at 02:00 UTC from `first` for `days` days. */
function daily(first: string, days: number): RetentionCandidate[] {
  const start = Date.parse(first);
  return Array.from({ length: days }, (_, i) => backup(new Date(start + i * DAY).toISOString()));
}

const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({ minimum: 1, ...p });
const kept = (d: RetentionDecision) => d.keep.map((k) => k.id);
const deleted = (d: RetentionDecision) => d.delete.map((k) => k.id);
const reasonsOf = (d: RetentionDecision, id: string) => d.keep.find((k) => k.id === id)?.reasons;

describe('periods (UTC; ISO weeks)', () => {
  it('labels hours, days, ISO weeks, months and years', () => {
    const t = at('2026-02-12T14:59:59.999Z');
    expect(['keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'].map((r) => periodOf(r as never, t))).toEqual([
      '2026-02-12T14Z',
      '2026-02-12',
      '2026-W07',
      '2026-02',
      '2026',
    ]);
  });

  it('puts the days around new year in the ISO week of their Thursday', () => {
    expect(isoWeek(at('2026-12-31T12:00:00Z'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(at('2027-01-03T23:59:59Z'))).toEqual({ year: 2026, week: 53 }); // Sunday
    expect(isoWeek(at('2027-01-04T00:00:00Z'))).toEqual({ year: 2027, week: 1 }); // Monday
    expect(isoWeek(at('2025-12-29T00:00:00Z'))).toEqual({ year: 2026, week: 1 }); // Monday of the week holding 2026-01-01
    expect(isoWeek(at('2024-12-30T00:00:00Z'))).toEqual({ year: 2025, week: 1 });
  });

  it('counts in UTC whatever the local time zone would say', () => {
    // 23:30 UTC is already the next day in Berlin; the period is still the UTC day.
    expect(periodOf('keepDaily', at('2026-03-28T23:30:00Z'))).toBe('2026-03-28');
  });
});

describe('decideRetention: each rule', () => {
  it('within keeps backups no older than the duration and deletes the rest with a reason', () => {
    const backups = daily('2026-01-01T02:00:00Z', 60); // 2026-01-01 … 2026-03-01
    const d = decideRetention({ backups, policy: policy({ within: 30 * DAY }), holds: [], now: at('2026-03-01T02:00:00Z') });
    expect(kept(d)[0]).toBe('2026-01-30T02:00:00.000Z'); // exactly 30 days old: kept
    expect(kept(d)).toHaveLength(31);
    expect(deleted(d)).toHaveLength(29);
    expect(d.delete[0]).toEqual({ id: '2026-01-01T02:00:00.000Z', reason: 'older than 30d and not kept by any rule' });
    expect(reasonsOf(d, '2026-02-15T02:00:00.000Z')).toEqual(['within 30d']);
    expect(reasonsOf(d, '2026-03-01T02:00:00.000Z')).toEqual(['newest (minimum 1)', 'within 30d']);
  });

  it('keepLast keeps the n newest', () => {
    const backups = daily('2026-01-01T02:00:00Z', 5);
    const d = decideRetention({ backups, policy: policy({ keepLast: 3 }), holds: [], now: at('2026-06-01T00:00:00Z') });
    expect(d.keep).toEqual([
      { id: '2026-01-03T02:00:00.000Z', reasons: ['keepLast #3'] },
      { id: '2026-01-04T02:00:00.000Z', reasons: ['keepLast #2'] },
      { id: '2026-01-05T02:00:00.000Z', reasons: ['newest (minimum 1)', 'keepLast #1'] },
    ]);
    expect(d.delete).toEqual([
      { id: '2026-01-01T02:00:00.000Z', reason: 'not kept by keepLast 3' },
      { id: '2026-01-02T02:00:00.000Z', reason: 'not kept by keepLast 3' },
    ]);
  });

  it('keepDaily keeps the newest backup of each of the n most recent days that have backups, skipping empty days', () => {
    const backups = [
      backup('2026-02-09T02:00:00Z'),
      backup('2026-02-10T02:00:00Z'),
      backup('2026-02-10T14:00:00Z'),
      // 2026-02-11 has none: it does not use up a day
      backup('2026-02-12T02:00:00Z'),
      backup('2026-02-12T23:59:59Z'),
    ];
    const d = decideRetention({ backups, policy: policy({ keepDaily: 2 }), holds: [], now: at('2026-02-13T00:00:00Z') });
    expect(d.keep).toEqual([
      { id: '2026-02-10T14:00:00.000Z', reasons: ['keepDaily #2 (2026-02-10)'] },
      { id: '2026-02-12T23:59:59.000Z', reasons: ['newest (minimum 1)', 'keepDaily #1 (2026-02-12)'] },
    ]);
    expect(deleted(d)).toEqual(['2026-02-09T02:00:00.000Z', '2026-02-10T02:00:00.000Z', '2026-02-12T02:00:00.000Z']);
  });

  it('keepHourly counts UTC hours', () => {
    const backups = ['2026-02-12T10:05:00Z', '2026-02-12T10:55:00Z', '2026-02-12T11:00:00Z', '2026-02-12T12:30:00Z'].map((t) => backup(t));
    const d = decideRetention({ backups, policy: policy({ keepHourly: 2 }), holds: [], now: at('2026-02-12T13:00:00Z') });
    expect(d.keep.map((k) => k.reasons.at(-1))).toEqual(['keepHourly #2 (2026-02-12T11Z)', 'keepHourly #1 (2026-02-12T12Z)']);
  });

  it('keepWeekly counts ISO weeks, across a new year', () => {
    const backups = ['2026-12-21T02:00:00Z', '2026-12-28T02:00:00Z', '2027-01-02T02:00:00Z', '2027-01-04T02:00:00Z'].map((t) => backup(t));
    const d = decideRetention({ backups, policy: policy({ keepWeekly: 2 }), holds: [], now: at('2027-01-05T00:00:00Z') });
    // 2026-12-28 and 2027-01-02 are both in 2026-W53; the newer of them is kept.
    expect(d.keep.map((k) => [k.id, k.reasons.at(-1)])).toEqual([
      ['2027-01-02T02:00:00.000Z', 'keepWeekly #2 (2026-W53)'],
      ['2027-01-04T02:00:00.000Z', 'keepWeekly #1 (2027-W01)'],
    ]);
  });

  it('keepMonthly and keepYearly keep the newest of each month and year', () => {
    const backups = daily('2024-11-01T02:00:00Z', 500);
    const d = decideRetention({ backups, policy: policy({ keepMonthly: 3, keepYearly: 3 }), holds: [], now: at('2026-03-20T00:00:00Z') });
    expect(d.keep.map((k) => [k.id.slice(0, 10), k.reasons.filter((r) => !r.startsWith('newest'))])).toEqual([
      ['2024-12-31', ['keepYearly #3 (2024)']],
      ['2025-12-31', ['keepYearly #2 (2025)']],
      ['2026-01-31', ['keepMonthly #3 (2026-01)']],
      ['2026-02-28', ['keepMonthly #2 (2026-02)']],
      ['2026-03-15', ['keepMonthly #1 (2026-03)', 'keepYearly #1 (2026)']],
    ]);
  });

  it('a backup kept by several rules lists every reason; the delete reason names the count rules', () => {
    const backups = daily('2026-01-01T02:00:00Z', 40);
    const d = decideRetention({ backups, policy: policy({ within: 7 * DAY, keepWeekly: 2 }), holds: [], now: at('2026-02-09T12:00:00Z') });
    expect(reasonsOf(d, '2026-02-09T02:00:00.000Z')).toEqual(['newest (minimum 1)', 'within 7d', 'keepWeekly #1 (2026-W07)']);
    expect(d.delete[0]!.reason).toBe('older than 7d and not kept by keepWeekly 2');
  });

  it('minimum keeps the newest backups even when every rule would let them go', () => {
    const backups = daily('2026-01-01T02:00:00Z', 5);
    const now = at('2026-12-01T00:00:00Z');
    const one = decideRetention({ backups, policy: policy({ within: 30 * DAY }), holds: [], now });
    expect(one.keep).toEqual([{ id: '2026-01-05T02:00:00.000Z', reasons: ['newest (minimum 1)'] }]);
    const three = decideRetention({ backups, policy: policy({ within: 30 * DAY, minimum: 3 }), holds: [], now });
    expect(three.keep.map((k) => k.reasons)).toEqual([['3rd newest (minimum 3)'], ['2nd newest (minimum 3)'], ['newest (minimum 3)']]);
  });

  it('with no backups there is nothing to decide', () => {
    expect(decideRetention({ backups: [], policy: policy({ within: DAY }), holds: [], now: at('2026-01-01T00:00:00Z') })).toEqual({ keep: [], delete: [] });
  });

  it('keeps a backup whose time cannot be read, and says why', () => {
    const d = decideRetention({ backups: [...daily('2026-01-01T02:00:00Z', 2), { id: 'x', finishedAt: new Date('nonsense') }], policy: policy({ within: DAY }), holds: [], now: at('2027-01-01T00:00:00Z') });
    expect(reasonsOf(d, 'x')).toEqual(['finish time unreadable (kept to be safe)']);
  });
});

describe('decideRetention: holds and pins override every rule', () => {
  const backups = daily('2026-10-01T02:00:00Z', 60); // 2026-10-01 … 2026-11-29
  const election: LegalHold = { component: 'database', from: '2026-10-20', to: '2026-11-03', until: '2028-09-03', reason: 'election + 22 months' };
  const now = at('2027-06-01T00:00:00Z');

  it('a legal hold keeps the backups in its range until the end of its until day', () => {
    const d = decideRetention({ backups, policy: policy({ within: 30 * DAY }), holds: [election], now });
    expect(kept(d)).toEqual([...daily('2026-10-20T02:00:00Z', 15).map((b) => b.id), '2026-11-29T02:00:00.000Z']);
    expect(reasonsOf(d, '2026-11-03T02:00:00.000Z')).toEqual(['legal hold until 2028-09-03: election + 22 months']);

    const lastDay = decideRetention({ backups, policy: policy({ within: 30 * DAY }), holds: [election], now: at('2028-09-03T23:59:59Z') });
    expect(kept(lastDay)).toHaveLength(16);
    const after = decideRetention({ backups, policy: policy({ within: 30 * DAY }), holds: [election], now: at('2028-09-04T00:00:00Z') });
    expect(kept(after)).toEqual(['2026-11-29T02:00:00.000Z']);
  });

  it('a hold without a range keeps every backup; from and to may be times', () => {
    const all = decideRetention({ backups, policy: policy({ keepLast: 1 }), holds: [{ component: 'database', until: '2033-01-01', reason: 'user data: 7 years' }], now });
    expect(deleted(all)).toEqual([]);
    const timed = decideRetention({
      backups,
      policy: policy({ keepLast: 1 }),
      holds: [{ component: 'database', from: '2026-10-05T02:00:00Z', to: '2026-10-06T02:00:00Z', until: '2030-01-01', reason: 'audit' }],
      now,
    });
    expect(kept(timed)).toEqual(['2026-10-05T02:00:00.000Z', '2026-10-06T02:00:00.000Z', '2026-11-29T02:00:00.000Z']);
  });

  it('a pin keeps a backup whatever the rules say, with its reason', () => {
    const pinned = backups.map((b) => (b.id === '2026-10-02T02:00:00.000Z' ? { ...b, pinned: { reason: 'before the schema migration' } } : b));
    const d = decideRetention({ backups: pinned, policy: policy({ keepLast: 1 }), holds: [], now });
    expect(d.keep).toEqual([
      { id: '2026-10-02T02:00:00.000Z', reasons: ['pinned: before the schema migration'] },
      { id: '2026-11-29T02:00:00.000Z', reasons: ['newest (minimum 1)', 'keepLast #1'] },
    ]);
  });
});

// ---------------------------------------------------------------------------
// Properties (arbitraries in ../test/retention-arbitraries.ts)

describe('decideRetention: properties', () => {
  it('every backup is decided exactly once', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, holdsArb, nowArb, (backups, p, holds, now) => {
        const d = decideRetention({ backups, policy: p, holds, now });
        expect([...kept(d), ...deleted(d)].sort()).toEqual(backups.map((b) => b.id).sort());
        expect(d.keep.every((k) => k.reasons.length > 0)).toBe(true);
      }),
    );
  });

  it('never deletes a held, pinned or newest (minimum) backup', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, holdsArb, nowArb, (backups, p, holds, now) => {
        const d = decideRetention({ backups, policy: p, holds, now });
        const gone = new Set(deleted(d));
        const newest = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (b.id < a.id ? -1 : 1)).slice(0, p.minimum);
        for (const b of backups) {
          if (!gone.has(b.id)) continue;
          expect(b.pinned).toBeUndefined();
          expect(newest).not.toContain(b);
          for (const h of holds) {
            const t = b.finishedAt.getTime();
            const inRange = (!h.from || t >= Date.parse(`${h.from}T00:00:00Z`)) && (!h.to || t < Date.parse(`${h.to}T00:00:00Z`) + DAY);
            const active = now.getTime() < Date.parse(`${h.until}T00:00:00Z`) + DAY;
            expect(inRange && active).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('deciding twice deletes nothing more', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, holdsArb, nowArb, (backups, p, holds, now) => {
        const first = decideRetention({ backups, policy: p, holds, now });
        const gone = new Set(deleted(first));
        const second = decideRetention({ backups: backups.filter((b) => !gone.has(b.id)), policy: p, holds, now });
        expect(second.delete).toEqual([]);
        expect(second.keep).toEqual(first.keep);
      }),
      { numRuns: 300 },
    );
  });

  it('adding a rule (or raising one) never deletes more', () => {
    fc.assert(
      fc.property(backupsArb, widerArb, holdsArb, holdArb, nowArb, (backups, [base, wider], holds, extraHold, now) => {
        const narrow = new Set(deleted(decideRetention({ backups, policy: base, holds, now })));
        for (const id of deleted(decideRetention({ backups, policy: wider, holds, now }))) expect(narrow.has(id)).toBe(true);
        for (const id of deleted(decideRetention({ backups, policy: base, holds: [...holds, extraHold], now }))) expect(narrow.has(id)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order backups are given in', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, holdsArb, nowArb, (backups, p, holds, now) => {
        expect(decideRetention({ backups: [...backups].reverse(), policy: p, holds, now })).toEqual(decideRetention({ backups, policy: p, holds, now }));
      }),
    );
  });
});
