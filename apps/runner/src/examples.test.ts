import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '@lifeboat/core';
import { createRegistry } from './registry.js';

const example = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

describe('the shipped example plans', () => {
  it('civicq.yaml carries the guide\u2019s database row', async () => {
    const plan = await loadPlan(example('civicq.yaml'), createRegistry());
    const database = plan.components.database!;
    expect(database.schedule).toEqual({ kind: 'cron', expression: '0 2 * * *' });
    expect(database.rpo).toBe(24 * 3600_000);
    expect(database.rto).toBe(4 * 3600_000);
    expect(database.retention.local?.within).toBe(30 * 86400_000);
    expect(database.verify).toEqual({ tables: ['users', 'questions', 'cities'] });
    expect(database).toMatchObject({ pitr: { baseBackups: '0 2 * * 0', walRpo: 5 * 60_000, dump: true } });
  });

  it('demo.yaml backs up database, Redis and config, encrypted, to a local folder and an offsite S3 bucket', async () => {
    const plan = await loadPlan(example('demo.yaml'), createRegistry());
    expect(Object.keys(plan.components)).toEqual(['database', 'cache', 'config']);
    for (const c of Object.values(plan.components)) expect(c.destinations).toEqual(['primary', 'offsite']);
    expect(plan.destinations.offsite).toMatchObject({ type: 's3', offsite: true, medium: 'object-storage' });
    expect(plan.encryption?.recipients).toHaveLength(1);
  });

  it('civicq.yaml carries Redis and config rows, S3 offsite and encryption', async () => {
    const plan = await loadPlan(example('civicq.yaml'), createRegistry());
    expect(plan.components.redis).toMatchObject({ type: 'redis', schedule: { kind: 'cron', expression: '0 3 * * *' }, rto: 3_600_000 });
    expect(plan.components.config).toMatchObject({ type: 'files', schedule: { kind: 'on-change' }, rpo: 0 });
    expect(plan.destinations.second).toMatchObject({ type: 's3', bucket: 'civicq-backups', offsite: true });
    expect(plan.rule321).toEqual({ copies: 3, media: 2, offsite: 1 });
  });
});
