/** fast-check arbitraries for retention properties (policy.test.ts and the fault matrix). */
import fc from 'fast-check';
import type { LegalHold, RetentionPolicy } from '../plan/types.js';
import type { RetentionCandidate } from '../retention/policy.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const T0 = Date.parse('2024-01-01T00:00:00Z');
export const SPAN_DAYS = 3 * 366;
const QUARTER_HOUR = 15 * 60_000;

/** Backups clustered enough to share hours and days, over three years; ids unique. */
export const backupsArb = fc
  .array(fc.record({ slot: fc.integer({ min: 0, max: SPAN_DAYS * 96 }), pinned: fc.boolean() }), { maxLength: 60 })
  .map((items) =>
    items.map(({ slot, pinned }, i): RetentionCandidate => ({
      id: `b${String(i).padStart(3, '0')}`,
      finishedAt: new Date(T0 + slot * QUARTER_HOUR),
      ...(pinned && i % 5 === 0 ? { pinned: { reason: 'test pin' } } : {}),
    })),
  );

const count = fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined });
export const policyArb: fc.Arbitrary<RetentionPolicy> = fc
  .record({
    within: fc.option(fc.integer({ min: 1, max: 400 * 24 }).map((h) => h * HOUR), { nil: undefined }),
    keepLast: count,
    keepHourly: count,
    keepDaily: count,
    keepWeekly: count,
    keepMonthly: count,
    keepYearly: count,
    minimum: fc.integer({ min: 1, max: 4 }),
  })
  .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as unknown as RetentionPolicy);

const dayArb = fc.integer({ min: -30, max: SPAN_DAYS + 400 }).map((d) => new Date(T0 + d * DAY).toISOString().slice(0, 10));
export const holdArb: fc.Arbitrary<LegalHold> = fc
  .record({ from: fc.option(dayArb, { nil: undefined }), to: fc.option(dayArb, { nil: undefined }), until: dayArb })
  .map(({ from, to, until }) => {
    const [a, b] = from !== undefined && to !== undefined && from > to ? [to, from] : [from, to];
    return { component: 'c', until, reason: `hold until ${until}`, ...(a ? { from: a } : {}), ...(b ? { to: b } : {}) };
  });
export const holdsArb = fc.array(holdArb, { maxLength: 3 });
export const nowArb = fc.integer({ min: 0, max: (SPAN_DAYS + 30) * 24 }).map((h) => new Date(T0 + h * HOUR));

/** `base` with more rules and never smaller numbers: a policy that keeps at least as much. */
export const widerArb = fc.tuple(policyArb, policyArb).map(([base, extra]): [RetentionPolicy, RetentionPolicy] => {
  const wider: RetentionPolicy = { ...base };
  for (const key of ['within', 'keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'minimum'] as const) {
    const add = extra[key];
    if (add !== undefined) wider[key] = Math.max(base[key] ?? 0, add);
  }
  return [base, wider];
});
