import { PlanError, checkPlan, parsePlan, type PlanRegistry } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fsStorageType } from '../fs/fs-type.js';
import { s3StorageType } from './s3-type.js';

/** The shipped storage types, as the apps register them, and a postgres-like strategy. */
const registry: PlanRegistry = {
  strategies: [{ kind: 'postgres', config: z.object({ url: z.string() }) }],
  storage: [fsStorageType, s3StorageType],
};

const FILE = '/etc/lifeboat/civicq.yaml';
const NOW = new Date('2026-11-10T00:00:00Z');

const plan = (lifecycle: string, s3 = '') =>
  parsePlan(
    `version: 1
name: civicq
destinations:
  local: { type: fs, path: /opt/civicq/backups }
  cloud: { type: s3, bucket: civicq-backups, region: us-west-2${s3} }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local, cloud]
    retention: { local: { within: 30d }, cloud: { within: 400d } }
lifecycle:
${lifecycle}`,
    FILE,
    registry,
  );

const problems = (lifecycle: string, s3?: string) => checkPlan(plan(lifecycle, s3), NOW).problems;

describe('the s3 type’s lifecycle capability', () => {
  it('is declared by s3 and not by fs', () => {
    expect(s3StorageType.capabilities?.lifecycle).toMatchObject({ provider: 'S3', containerField: 'bucket' });
    expect(fsStorageType.capabilities?.lifecycle).toBeUndefined();
  });

  it('gives plan check S3’s classes, waterfall, 30-day IA rule and minimum storage durations', () => {
    expect(problems('  civicq-backups: { scope: artifacts, transitions: [{ days: 40, class: ONEZONE_IA }, { days: 100, class: GLACIER_IR }], expireDays: 400 }\n')).toEqual([
      `${FILE}: lifecycle.civicq-backups.transitions[1].class: objects are in ONEZONE_IA by then and S3 cannot move them to GLACIER_IR; objects only move down STANDARD, STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE`,
    ]);
    expect(problems('  cloud: { scope: artifacts, transitions: [{ days: 7, class: STANDARD_IA }, { days: 100, class: DEEP_ARCHIVE }], expireDays: 200 }\n')).toEqual([
      `${FILE}: lifecycle.cloud.transitions[0].days: S3 moves objects to STANDARD_IA only once they are 30 days old; make it day 30 or later`,
      `${FILE}: lifecycle.cloud.expireDays: objects are deleted from DEEP_ARCHIVE at day 200, 100 days after moving to it at day 100; S3 bills DEEP_ARCHIVE for at least 180 days, so every object would pay an early-deletion fee; make it day 280 or later`,
      `${FILE}: lifecycle.cloud.expireDays: S3 deletes objects in cloud after 200 days, but components.database.retention.cloud keeps backups within 400d; raise expireDays to at least 400 or shorten within`,
    ]);
  });

  it('counts from the destination’s storageClass and reaches components under its prefix', () => {
    expect(problems('  cloud: { scope: artifacts, transitions: [{ days: 10, class: GLACIER }], expireDays: 500 }\n', ', storageClass: ONEZONE_IA')).toEqual([
      `${FILE}: lifecycle.cloud.transitions[0].days: objects leave ONEZONE_IA for GLACIER at day 10, 10 days after being written in it; S3 bills ONEZONE_IA for at least 30 days, so every object would pay an early-deletion fee; make it day 30 or later`,
    ]);
    expect(problems('  cloud: { scope: artifacts, prefix: civicq/redis/, expireDays: 7 }\n', ', prefix: civicq')).toEqual([]);
    expect(problems('  cloud: { scope: artifacts, prefix: civicq/database/, expireDays: 7 }\n', ', prefix: civicq')).toHaveLength(1);
  });

  it('refuses a class S3 does not have, and a rule scoped to the bucket that archives the catalog', () => {
    expect(() => plan('  cloud: { transitions: [{ days: 90, class: NEARLINE }] }\n')).toThrow(
      new PlanError([`${FILE}: lifecycle.cloud.transitions[0].class: got "NEARLINE"; expected one of STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE`]),
    );
    expect(problems('  cloud: { transitions: [{ days: 90, class: GLACIER }] }\n')).toEqual([
      expect.stringContaining(`${FILE}: lifecycle.cloud: scope bucket moves every object to GLACIER (day 90), including manifest.json`),
    ]);
  });
});
