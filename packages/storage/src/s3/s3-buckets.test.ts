import type { DestinationPlan, Plan } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { planBuckets } from './s3-buckets.js';

function plan(destinations: Record<string, Record<string, unknown>>, lifecycle: Plan['lifecycle'] = {}): Plan {
  const entries = Object.entries(destinations).map(([name, d]): [string, DestinationPlan] => [
    name,
    { name, type: 's3', medium: 'object-storage', offsite: true, ...d },
  ]);
  return { file: '/p.yaml', dir: '/', version: 1, name: 't', destinations: Object.fromEntries(entries), notify: [], runbooks: [], legalHolds: [], lifecycle, components: {}, storageCapabilities: {} };
}

describe('planBuckets', () => {
  const p = plan(
    {
      db: { bucket: 'civicq-backups', region: 'us-west-2', prefix: 'civicq/db' },
      files: { bucket: 'civicq-backups', region: 'us-west-2', prefix: 'civicq/files' },
      dr: { bucket: 'civicq-dr', region: 'us-east-1' },
      local: { type: 'fs', path: '/var/backups' },
    },
    { files: { scope: 'artifacts', transitions: [{ days: 30, class: 'STANDARD_IA' }] } },
  );

  it('one entry per bucket, with every destination in it, even when only one is named', () => {
    expect(planBuckets(p).map((b) => [b.bucket, b.destinations])).toEqual([
      ['civicq-backups', ['db', 'files']],
      ['civicq-dr', ['dr']],
    ]);
    expect(planBuckets(p, ['db']).map((b) => [b.bucket, b.destinations])).toEqual([['civicq-backups', ['db', 'files']]]);
  });

  it("takes lifecycle entries keyed by the bucket's name or one of its destinations", () => {
    const [shared, dr] = planBuckets(p);
    expect(shared?.lifecycle.map((r) => r.id)).toEqual(['lifeboat-artifacts', 'lifeboat-cleanup-civicq/db', 'lifeboat-cleanup-civicq/files']);
    expect(dr?.lifecycle.map((r) => r.id)).toEqual(['lifeboat-cleanup']);
  });

  it('refuses a plan without s3 destinations', () => {
    expect(() => planBuckets(plan({ local: { type: 'fs', path: '/x' } }))).toThrow('/p.yaml has no s3 destinations');
  });
});
