import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanError } from '../errors.js';
import { parsePlan, type PlanRegistry } from '../plan/load.js';
import { s3LikeLifecycle } from '../test/s3-like-lifecycle.js';
import { assertPlanAgrees, checkPlan } from './plan-check.js';

const registry: PlanRegistry = {
  strategies: [{ kind: 'postgres', config: z.object({ url: z.string() }) }],
  storage: [
    { type: 'fs', config: z.object({ path: z.string() }), defaultMedium: 'disk' },
    {
      type: 's3',
      config: z.object({ bucket: z.string(), region: z.string(), prefix: z.string().optional(), storageClass: z.string().optional() }),
      defaultMedium: 'object-storage',
      capabilities: { lifecycle: s3LikeLifecycle },
    },
  ],
};

const FILE = '/etc/lifeboat/civicq.yaml';
const NOW = new Date('2026-11-10T00:00:00Z');

/** The guide's setup: 30 days on disk, 90 days in civicq-backups; `extra` adds top-level keys. */
function plan(extra: string, opts: { s3?: string; retention?: string } = {}) {
  return parsePlan(
    `version: 1
name: civicq
destinations:
  local: { type: fs, path: /opt/civicq/backups }
  s3: { type: s3, bucket: civicq-backups, region: us-west-2${opts.s3 ?? ''} }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local, s3]
    retention: ${opts.retention ?? '{ local: { within: 30d }, s3: { within: 90d } }'}
${extra}`,
    FILE,
    registry,
  );
}

const problems = (extra: string, opts?: { s3?: string; retention?: string }) => checkPlan(plan(extra, opts), NOW).problems;
const at = (path: string) => `${FILE}: ${path}: `;

/** Every rule below is otherwise fine, so each test shows exactly one kind of contradiction. */
const GUIDE_TIERS = '[{ days: 30, class: STANDARD_IA }, { days: 90, class: GLACIER }, { days: 365, class: DEEP_ARCHIVE }]';

describe('plan check: lifecycle rules that agree', () => {
  it('passes the guide tiers scoped to artifacts, with a 7-year expiry and the election hold', () => {
    const check = checkPlan(
      plan(`legalHolds:
  - { component: database, from: 2026-10-01, to: 2026-11-10, until: 2028-09-03, reason: election + 22 months }
lifecycle:
  civicq-backups: { scope: artifacts, transitions: ${GUIDE_TIERS}, expireDays: 2555 }
`),
      NOW,
    );
    expect(check).toEqual({
      problems: [],
      warnings: [],
      notes: [
        `${at('lifecycle.civicq-backups')}components.database.retention.s3 lets prune delete backups once they are 90d old, the day they move to GLACIER at day 90; S3 bills GLACIER for 90 days, so each pruned backup pays an early-deletion fee`,
      ],
    });
    expect(() => assertPlanAgrees(plan(''), NOW)).not.toThrow();
  });

  it('notes a rule named for an fs destination, which nothing applies, and a hold that has ended', () => {
    const check = checkPlan(
      plan(`legalHolds:
  - { component: database, until: 2026-01-31, reason: audit 2025 }
lifecycle:
  local: { scope: artifacts, expireDays: 400 }
`),
      NOW,
    );
    expect(check.problems).toEqual([]);
    expect(check.notes).toEqual([
      `${at('legalHolds[0]')}the hold on database (audit 2025) ended on 2026-01-31 and keeps nothing now`,
      `${at('lifecycle.local')}destination 'local' is type fs; only S3 buckets have lifecycle rules, so this rule is checked against the plan but nothing applies it there`,
    ]);
  });

  it('leaves components outside a rule’s prefix alone', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, prefix: redis/, expireDays: 7 }\n')).toEqual([]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, prefix: redis/, expireDays: 7 }\n', { s3: ', prefix: civicq' })).toEqual([]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, prefix: civicq/redis/, expireDays: 7 }\n', { s3: ', prefix: civicq' })).toEqual([]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, prefix: civicq/, expireDays: 7 }\n', { s3: ', prefix: civicq' })).toHaveLength(1);
    // S3 prefixes are plain string prefixes: civicq/data also matches civicq/database/.
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, prefix: civicq/data, expireDays: 7 }\n', { s3: ', prefix: civicq' })).toHaveLength(1);
  });
});

describe('plan check: each contradiction, in one sentence', () => {
  it('an unscoped rule that would archive or expire manifests, the marker, pins and the journal', () => {
    // The guide's lifecycle.json, as written: no filter.
    expect(problems(`lifecycle:\n  civicq-backups: { transitions: ${GUIDE_TIERS}, expireDays: 2555 }\n`)).toEqual([
      `${at('lifecycle.civicq-backups')}scope bucket moves every object to GLACIER (day 90) and DEEP_ARCHIVE (day 365) and deletes it at day 2555, including manifest.json, pin.json, the repository marker lifeboat.json and the run journal under runs/: Lifeboat could no longer read its catalog without an archive restore; a manifest could vanish while its artifacts or pins remain, or outlive them; set scope: artifacts (Lifeboat tags artifact objects lifeboat-kind=artifact and the rule filters on that tag)`,
    ]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: bucket, prefix: database/, expireDays: 400 }\n')).toEqual([
      `${at('lifecycle.civicq-backups')}scope bucket deletes every object under database/ at day 400, including manifest.json, pin.json, the repository marker lifeboat.json and the run journal under runs/: a manifest could vanish while its artifacts or pins remain, or outlive them; set scope: artifacts (Lifeboat tags artifact objects lifeboat-kind=artifact and the rule filters on that tag)`,
    ]);
    // Instant-access tiers keep the catalog readable: allowed for the whole bucket.
    expect(problems('lifecycle:\n  civicq-backups: { transitions: [{ days: 30, class: STANDARD_IA }] }\n')).toEqual([]);
  });

  it('an expiration shorter than a retention within of a component stored there', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, expireDays: 60 }\n')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}S3 deletes objects in s3 after 60 days, but components.database.retention.s3 keeps backups within 90d; raise expireDays to at least 90 or shorten within`,
    ]);
  });

  it('an expiration shorter than what an active legal hold still needs', () => {
    const hold = (range: string) =>
      problems(`legalHolds:\n  - { component: database, ${range}until: 2028-09-03, reason: election + 22 months }\nlifecycle:\n  civicq-backups: { scope: artifacts, expireDays: 365 }\n`);
    expect(hold('from: 2026-10-01, ')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}S3 deletes objects in s3 after 365 days, but the legal hold on database (election + 22 months) keeps backups from 2026-10-01 until 2028-09-03; that needs expireDays of at least 704`,
    ]);
    expect(hold('')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}S3 deletes objects in s3 after 365 days, but the legal hold on database (election + 22 months) keeps backups taken today until 2028-09-03; that needs expireDays of at least 664`,
    ]);
    expect(hold('to: 2026-11-03, ')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}S3 deletes objects in s3 after 365 days, but the legal hold on database (election + 22 months) keeps backups up to 2026-11-03 until 2028-09-03; that needs expireDays of at least 670`,
    ]);
    // Once the hold has ended it asks nothing of the lifecycle.
    expect(checkPlan(plan(`legalHolds:\n  - { component: database, until: 2028-09-03, reason: x }\nlifecycle:\n  civicq-backups: { scope: artifacts, expireDays: 365 }\n`), new Date('2028-09-04T00:00:00Z')).problems).toEqual([]);
  });

  it('transitions in non-increasing day order', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 90, class: STANDARD_IA }, { days: 90, class: GLACIER }] }\n')).toEqual([
      `${at('lifecycle.civicq-backups.transitions[1].days')}day 90 is not after day 90 of the transition before it; list transitions in increasing day order`,
    ]);
  });

  it('archive transitions before the previous tier’s minimum storage duration (early-deletion fees), naming the tier', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 30, class: STANDARD_IA }, { days: 45, class: GLACIER }] }\n')).toEqual([
      `${at('lifecycle.civicq-backups.transitions[1].days')}objects leave STANDARD_IA for GLACIER at day 45, 15 days after moving to it at day 30; S3 bills STANDARD_IA for at least 30 days, so every object would pay an early-deletion fee; make it day 60 or later`,
    ]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 100, class: GLACIER }, { days: 120, class: DEEP_ARCHIVE }], expireDays: 200 }\n')).toEqual([
      `${at('lifecycle.civicq-backups.transitions[1].days')}objects leave GLACIER for DEEP_ARCHIVE at day 120, 20 days after moving to it at day 100; S3 bills GLACIER for at least 90 days, so every object would pay an early-deletion fee; make it day 190 or later`,
      `${at('lifecycle.civicq-backups.expireDays')}objects are deleted from DEEP_ARCHIVE at day 200, 80 days after moving to it at day 120; S3 bills DEEP_ARCHIVE for at least 180 days, so every object would pay an early-deletion fee; make it day 300 or later`,
    ]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 100, class: GLACIER_IR }], expireDays: 150 }\n')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}objects are deleted from GLACIER_IR at day 150, 50 days after moving to it at day 100; S3 bills GLACIER_IR for at least 90 days, so every object would pay an early-deletion fee; make it day 190 or later`,
    ]);
  });

  it('counts from the class objects are written in (the destination’s storageClass)', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 10, class: GLACIER }], expireDays: 400 }\n', { s3: ', storageClass: STANDARD_IA' })).toEqual([
      `${at('lifecycle.civicq-backups.transitions[0].days')}objects leave STANDARD_IA for GLACIER at day 10, 10 days after being written in it; S3 bills STANDARD_IA for at least 30 days, so every object would pay an early-deletion fee; make it day 30 or later`,
    ]);
  });

  it('a move S3 does not make: to STANDARD_IA before 30 days, or up the tiers', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 7, class: STANDARD_IA }] }\n')).toEqual([
      `${at('lifecycle.civicq-backups.transitions[0].days')}S3 moves objects to STANDARD_IA only once they are 30 days old; make it day 30 or later`,
    ]);
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 90, class: GLACIER }, { days: 400, class: STANDARD_IA }] }\n')).toEqual([
      `${at('lifecycle.civicq-backups.transitions[1].class')}objects are in GLACIER by then and S3 cannot move them to STANDARD_IA; objects only move down STANDARD, STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE`,
    ]);
  });

  it('an expiration before the last transition could happen', () => {
    expect(problems('lifecycle:\n  civicq-backups: { scope: artifacts, transitions: [{ days: 400, class: GLACIER }], expireDays: 400 }\n')).toEqual([
      `${at('lifecycle.civicq-backups.expireDays')}objects expire at day 400, before the transition to GLACIER at day 400 could happen; expire later or drop the transition`,
    ]);
  });

  it('reports every contradiction at once, and assertPlanAgrees refuses with all of them (exit 2)', () => {
    const p = plan(`lifecycle:\n  civicq-backups: { transitions: [{ days: 30, class: STANDARD_IA }, { days: 40, class: GLACIER }], expireDays: 60 }\n`);
    expect(checkPlan(p, NOW).problems).toHaveLength(4);
    try {
      assertPlanAgrees(p, NOW);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).exitCode).toBe(2);
      expect((err as PlanError).message).toMatch(/^4 problems in the plan:\n- /);
    }
  });
});
