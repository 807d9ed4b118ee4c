import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanError } from '../errors.js';
import { parsePlan, type PlanRegistry } from '../plan/load.js';
import type { LifecycleCapability } from '../storage-capabilities.js';
import { s3LikeLifecycle } from '../test/s3-like-lifecycle.js';
import { checkPlan, lifecycleRulesFor } from './plan-check.js';

/** A store core has never heard of, shaped like Google Cloud Storage: the plan check must use its declaration alone. */
const gcsLifecycle: LifecycleCapability = {
  provider: 'GCS',
  holders: 'GCS buckets',
  containerField: 'bucket',
  containerWords: 'the bucket of a gcs destination',
  prefixField: 'prefix',
  classes: ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'],
  minimumDays: { NEARLINE: 30, COLDLINE: 90, ARCHIVE: 365 },
  archiveClasses: [],
};

const strategies = [{ kind: 'postgres', config: z.object({ url: z.string() }) }];
const fs = { type: 'fs', config: z.object({ path: z.string() }), defaultMedium: 'disk' };
const gcs = { type: 'gcs', config: z.object({ bucket: z.string(), prefix: z.string().optional() }), defaultMedium: 'object-storage', capabilities: { lifecycle: gcsLifecycle } };
const s3 = { type: 's3', config: z.object({ bucket: z.string() }), defaultMedium: 'object-storage', capabilities: { lifecycle: s3LikeLifecycle } };

const FILE = '/etc/lifeboat/civicq.yaml';
const NOW = new Date('2026-11-10T00:00:00Z');

function plan(registry: PlanRegistry, lifecycle: string, destinations = '  local: { type: fs, path: /backups }\n  cold: { type: gcs, bucket: civicq-cold, prefix: civicq }\n') {
  const used = [...destinations.matchAll(/^ {2}([a-z]+):/gm)].map((m) => m[1]);
  return parsePlan(
    `version: 1
name: civicq
destinations:
${destinations}components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [${used.join(', ')}]
    retention: { ${used.map((d) => `${d}: { within: 30d }`).join(', ')} }
lifecycle:
${lifecycle}`,
    FILE,
    registry,
  );
}

function refusal(build: () => unknown): string[] {
  try {
    build();
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('the plan was accepted');
}

describe('lifecycle rules come from the storage type’s capability', () => {
  const registry: PlanRegistry = { strategies, storage: [fs, gcs] };

  it('checks a rule with the classes, durations and words the type declares', () => {
    const check = checkPlan(plan(registry, '  civicq-cold: { scope: artifacts, transitions: [{ days: 30, class: NEARLINE }, { days: 40, class: COLDLINE }] }\n'), NOW);
    expect(check.problems).toEqual([
      `${FILE}: lifecycle.civicq-cold.transitions[1].days: objects leave NEARLINE for COLDLINE at day 40, 10 days after moving to it at day 30; GCS bills NEARLINE for at least 30 days, so every object would pay an early-deletion fee; make it day 60 or later`,
    ]);
    expect(check.notes).toEqual([
      `${FILE}: lifecycle.civicq-cold: components.database.retention.cold lets prune delete backups once they are 30d old, the day they move to NEARLINE at day 30; GCS bills NEARLINE for 30 days, so each pruned backup pays an early-deletion fee`,
    ]);
    expect(checkPlan(plan(registry, '  cold: { scope: artifacts, transitions: [{ days: 60, class: COLDLINE }, { days: 30, class: NEARLINE }] }\n'), NOW).problems).toEqual([
      `${FILE}: lifecycle.cold.transitions[1].days: day 30 is not after day 60 of the transition before it; list transitions in increasing day order`,
    ]);
  });

  it('refuses another store’s class, and names what the rule may be keyed by', () => {
    expect(refusal(() => plan(registry, '  cold: { transitions: [{ days: 90, class: GLACIER }] }\n'))).toEqual([
      `${FILE}: lifecycle.cold.transitions[0].class: got "GLACIER"; expected one of NEARLINE, COLDLINE, ARCHIVE`,
    ]);
    expect(refusal(() => plan(registry, '  civicq-media: { expireDays: 90 }\n'))).toEqual([
      `${FILE}: lifecycle.civicq-media: names no destination or bucket of this plan: got "civicq-media"; expected a destination name or the bucket of a gcs destination: local, cold, civicq-cold`,
    ]);
  });

  it('reaches components through the prefix field the type declares', () => {
    const p = plan(registry, '  civicq-cold: { scope: artifacts, prefix: civicq/database/, expireDays: 400 }\n  cold: { scope: artifacts, prefix: other/, expireDays: 400 }\n');
    expect(lifecycleRulesFor(p, 'cold', 'database')).toEqual([{ key: 'civicq-cold', rule: p.lifecycle['civicq-cold'], deleter: 'GCS' }]);
  });

  it('checks a rule on a type without lifecycle rules as the store whose classes it names would apply it', () => {
    const both: PlanRegistry = { strategies, storage: [fs, gcs, s3] };
    const check = checkPlan(plan(both, '  local: { scope: artifacts, transitions: [{ days: 30, class: NEARLINE }], expireDays: 40 }\n'), NOW);
    expect(check.notes).toContain(
      `${FILE}: lifecycle.local: destination 'local' is type fs; only GCS buckets and S3 buckets have lifecycle rules, so this rule is checked against the plan but nothing applies it there`,
    );
    expect(check.problems).toEqual([
      `${FILE}: lifecycle.local.expireDays: objects are deleted from NEARLINE at day 40, 10 days after moving to it at day 30; GCS bills NEARLINE for at least 30 days, so every object would pay an early-deletion fee; make it day 60 or later`,
    ]);
  });

  it('without any type that has lifecycle rules, a rule may only expire, and names no store', () => {
    const plain: PlanRegistry = { strategies, storage: [fs] };
    const local = '  local: { type: fs, path: /backups }\n';
    expect(refusal(() => plan(plain, '  local: { transitions: [{ days: 30, class: NEARLINE }] }\n', local))).toEqual([
      `${FILE}: lifecycle.local.transitions[0].class: no storage class is offered by every destination this rule reaches: got "NEARLINE"; drop the transitions`,
    ]);
    const check = checkPlan(plan(plain, '  local: { scope: artifacts, expireDays: 20 }\n', local), NOW);
    expect(check.notes).toEqual([
      `${FILE}: lifecycle.local: destination 'local' is type fs; no storage type has lifecycle rules, so this rule is checked against the plan but nothing applies it there`,
    ]);
    expect(check.problems).toEqual([
      `${FILE}: lifecycle.local.expireDays: the rule deletes objects in local after 20 days, but components.database.retention.local keeps backups within 30d; raise expireDays to at least 30 or shorten within`,
    ]);
  });

  it('core’s sources name no storage class of any store (they come from the types)', () => {
    const src = path.resolve(import.meta.dirname, '..');
    const sources = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith(`test${path.sep}`));
    const naming = sources.filter((f) => /\b(STANDARD_IA|GLACIER|DEEP_ARCHIVE|ONEZONE_IA|INTELLIGENT_TIERING)\b/.test(readFileSync(path.join(src, f), 'utf8')));
    expect(naming).toEqual([]);
  });
});
