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
  });

  it('demo.yaml backs up to two local folders', async () => {
    const plan = await loadPlan(example('demo.yaml'), createRegistry());
    expect(plan.components.database!.destinations).toEqual(['primary', 'mirror']);
  });
});
