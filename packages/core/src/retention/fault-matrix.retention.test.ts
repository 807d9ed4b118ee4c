import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_TOLERANCE_MS } from '../clock-skew.js';
import type { BackupVerdict } from '../journal/verdicts.js';
import type { RetentionPolicy } from '../plan/types.js';
import { backupsArb, holdsArb, nowArb, policyArb } from '../test/retention-arbitraries.js';
import { decideRetention, type RetentionCandidate } from './policy.js';

const at = (iso: string) => new Date(iso);
const backup = (iso: string, verdict?: BackupVerdict): RetentionCandidate => ({ id: iso, finishedAt: at(iso), ...(verdict ? { verdict } : {}) });
const verified = (good: boolean, when: string): BackupVerdict => ({ good, operation: 'verify', at: when, intact: good ? ['a', 'b'] : [], damaged: good ? [] : ['a', 'b'] });
const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({ minimum: 1, ...p });

describe('retention under faults (issue 11)', () => {
  it('fault 11.5: a backup dated a year ahead is kept and explained, and the two newest real backups survive keepLast 2', () => {
    const real = ['2030-01-01T02:00:00Z', '2030-01-02T02:00:00Z', '2030-01-03T02:00:00Z'].map((t) => backup(t));
    const ahead = backup('2031-01-03T02:00:00Z');
    const d = decideRetention({ backups: [...real, ahead], policy: policy({ keepLast: 2 }), holds: [], now: at('2030-01-03T12:00:00Z') });
    expect(d.delete).toEqual([{ id: '2030-01-01T02:00:00Z', reason: 'not kept by keepLast 2' }]);
    expect(d.keep).toEqual([
      { id: '2030-01-02T02:00:00Z', reasons: ['keepLast #2'] },
      { id: '2030-01-03T02:00:00Z', reasons: ['newest (minimum 1)', 'keepLast #1'] },
      { id: '2031-01-03T02:00:00Z', reasons: ['dated in the future (2031-01-03T02:00:00.000Z, 364d 14h ahead of now): kept, check the clock of the host that wrote it'] },
    ]);
  });

  it('a few minutes of clock skew is not the future (the tolerance of 11.5)', () => {
    const now = at('2030-01-03T12:00:00Z');
    const skewed = { id: 'skewed', finishedAt: new Date(now.getTime() + CLOCK_SKEW_TOLERANCE_MS) };
    const d = decideRetention({ backups: [backup('2030-01-03T11:00:00Z'), skewed], policy: policy({ keepLast: 1 }), holds: [], now });
    expect(d.keep).toEqual([{ id: 'skewed', reasons: ['newest (minimum 1)', 'keepLast #1'] }]);
  });

  it('fault 11.5: adding backups dated in the future never changes what happens to the real ones, and never deletes them', () => {
    const futureArb = fc.array(fc.integer({ min: 1, max: 400 * 24 * 60 }), { maxLength: 5 });
    fc.assert(
      fc.property(backupsArb, futureArb, policyArb, holdsArb, nowArb, (backups, minutesAhead, p, holds, now) => {
        // Real: at or before now (+ the tolerance); the future ones lie beyond it.
        const real = backups.filter((b) => b.finishedAt.getTime() <= now.getTime() + CLOCK_SKEW_TOLERANCE_MS);
        const future = minutesAhead.map((m, i): RetentionCandidate => ({ id: `f${i}`, finishedAt: new Date(now.getTime() + CLOCK_SKEW_TOLERANCE_MS + m * 60_000) }));
        const alone = decideRetention({ backups: real, policy: p, holds, now });
        const mixed = decideRetention({ backups: [...real, ...future], policy: p, holds, now });
        expect(mixed.delete).toEqual(alone.delete);
        expect(mixed.keep.filter((k) => !k.id.startsWith('f'))).toEqual(alone.keep);
        expect(mixed.keep.filter((k) => k.id.startsWith('f')).map((k) => k.reasons.at(-1))).toEqual(future.map(() => expect.stringMatching(/^dated in the future \(.*\): kept, check the clock of the host that wrote it$/)));
      }),
      { numRuns: 300 },
    );
  });

  it('fault 11.6: when the newest backup is damaged in every copy, keepLast 1 still keeps the newest known-good one, and says why', () => {
    const backups = [
      backup('2030-01-01T02:00:00Z', verified(true, '2030-01-03T03:00:00.000Z')),
      backup('2030-01-02T02:00:00Z', verified(true, '2030-01-03T03:00:00.000Z')),
      backup('2030-01-03T02:00:00Z', verified(false, '2030-01-03T04:00:00.000Z')),
    ];
    const d = decideRetention({ backups, policy: policy({ keepLast: 1 }), holds: [], now: at('2030-01-03T12:00:00Z') });
    expect(d.delete).toEqual([{ id: '2030-01-01T02:00:00Z', reason: 'not kept by keepLast 1' }]);
    expect(d.keep).toEqual([
      {
        id: '2030-01-02T02:00:00Z',
        reasons: [
          'newest backup known good (verified at 2030-01-03T03:00:00.000Z), kept whatever the rules say: newer ones are not known good: 2030-01-03T02:00:00Z (damaged in a and b at 2030-01-03T04:00:00.000Z)',
        ],
      },
      { id: '2030-01-03T02:00:00Z', reasons: ['newest (minimum 1)', 'keepLast #1'] },
    ]);
  });

  it('fault 11.6: a failed drill or no check at all is not "known good"; a passed drill is', () => {
    const drill = (good: boolean): BackupVerdict => ({ good, operation: 'drill', at: '2030-01-03T05:00:00.000Z' });
    const backups = [backup('2030-01-01T02:00:00Z', drill(true)), backup('2030-01-02T02:00:00Z', drill(false)), backup('2030-01-03T02:00:00Z')];
    const d = decideRetention({ backups, policy: policy({ keepLast: 1 }), holds: [], now: at('2030-01-03T12:00:00Z') });
    expect(d.keep.find((k) => k.id === '2030-01-01T02:00:00Z')?.reasons).toEqual([
      'newest backup known good (restored by a drill at 2030-01-03T05:00:00.000Z), kept whatever the rules say: newer ones are not known good: 2030-01-03T02:00:00Z (never verified), 2030-01-02T02:00:00Z (its drill failed at 2030-01-03T05:00:00.000Z)',
    ]);
    expect(d.delete.map((b) => b.id)).toEqual(['2030-01-02T02:00:00Z']);
  });

  it('fault 11.6: the newest real backup known good is never deleted, whatever the policy, holds and verdicts', () => {
    const verdictArb = fc.option(fc.boolean(), { nil: undefined });
    const withVerdicts = backupsArb.chain((backups) =>
      fc.array(verdictArb, { minLength: backups.length, maxLength: backups.length }).map((goods) =>
        backups.map((b, i): RetentionCandidate => (goods[i] === undefined ? b : { ...b, verdict: verified(goods[i]!, '2030-01-01T00:00:00.000Z') })),
      ),
    );
    fc.assert(
      fc.property(withVerdicts, policyArb, holdsArb, nowArb, (backups, p, holds, now) => {
        const d = decideRetention({ backups, policy: p, holds, now });
        const real = backups.filter((b) => b.finishedAt.getTime() <= now.getTime() + CLOCK_SKEW_TOLERANCE_MS);
        const newestGood = [...real].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (b.id < a.id ? -1 : 1)).find((b) => b.verdict?.good);
        if (newestGood) expect(d.delete.map((x) => x.id)).not.toContain(newestGood.id);
      }),
      { numRuns: 300 },
    );
  });
});
