import { PlanError, parsePlan, type PlanRegistry } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStrategy } from './index.js';

const registry: PlanRegistry = {
  strategies: [postgresStrategy],
  storage: [{ type: 'fs', config: z.object({ path: z.string().min(1) }), defaultMedium: 'disk' }],
};

const plan = (pitr: string) => `version: 1
name: civicq
destinations:
  local: { type: fs, path: /var/backups }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 5m
    rto: 4h
    destinations: [local]
${pitr}`;

function problems(text: string): string[] {
  try {
    parsePlan(text, 'lifeboat.yaml', registry);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be refused');
}

describe('postgres pitr plan field', () => {
  it('reads baseBackups as a cron expression and walRpo as a duration; dump defaults to true', () => {
    const parsed = parsePlan(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }\n'), 'lifeboat.yaml', registry);
    expect(parsed.components['database']).toMatchObject({ pitr: { baseBackups: '0 2 * * 0', walRpo: 300_000, dump: true } });
    const without = parsePlan(plan(''), 'lifeboat.yaml', registry);
    expect(without.components['database']).not.toHaveProperty('pitr');
  });

  it('refuses a bad schedule, a bad walRpo, an unknown key and a missing field, each in a sentence naming the field', () => {
    expect(problems(plan('    pitr: { baseBackups: "0 2 * *", walRpo: 5m }\n'))).toEqual([
      'lifeboat.yaml: components.database.pitr.baseBackups: has 4 fields: got "0 2 * *"; expected a 5-field cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week) or on-change',
    ]);
    expect(problems(plan('    pitr: { baseBackups: on-change, walRpo: 5m }\n'))[0]).toContain(
      'components.database.pitr.baseBackups: got "on-change"; expected a 5-field cron expression such as "0 2 * * 0"',
    );
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5 minutes }\n'))[0]).toContain(
      'components.database.pitr.walRpo: got "5 minutes"; expected a duration such as 30d, 24h or 15m',
    );
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: "0" }\n'))[0]).toContain('components.database.pitr.walRpo');
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, walRPO: 1m }\n'))[0]).toContain('components.database.pitr');
    expect(problems(plan('    pitr: { walRpo: 5m }\n'))[0]).toContain('components.database.pitr.baseBackups');
    expect(problems(plan('    pitr: yes\n'))[0]).toContain('components.database.pitr: got "yes"; expected a mapping such as { baseBackups: "0 2 * * 0", walRpo: 5m }');
  });
});
