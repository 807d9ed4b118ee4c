import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parsePlan, type PlanRegistry } from '../plan/load.js';
import { assertPlanAgrees, checkPlan } from './plan-check.js';

const registry: PlanRegistry = {
  strategies: [{ kind: 'postgres', config: z.object({ url: z.string() }) }],
  storage: [{ type: 'fs', config: z.object({ path: z.string() }), defaultMedium: 'disk' }],
};

const FILE = '/etc/lifeboat/civicq.yaml';
const NOW = new Date('2026-11-10T00:00:00Z');

const plan = (schedule: string, rpo: string) =>
  parsePlan(
    `version: 1
name: civicq
destinations:
  local: { type: fs, path: /opt/civicq/backups }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: ${schedule}
    rpo: ${rpo}
    rto: 4h
    destinations: [local]
`,
    FILE,
    registry,
  );

describe('fault matrix: plan check', () => {
  it('fault 11.9: a weekly schedule with a 24h RPO is warned about (the schedule cannot meet the RPO); backup is not refused', () => {
    const check = checkPlan(plan('"0 4 * * 0"', '24h'), NOW);
    expect(check.warnings).toEqual([
      `${FILE}: components.database: schedule '0 4 * * 0' leaves up to 7d between runs, longer than its rpo of 1d; run it more often or raise the rpo`,
    ]);
    expect(check.problems).toEqual([]);
    expect(() => assertPlanAgrees(plan('"0 4 * * 0"', '24h'), NOW)).not.toThrow();
  });

  it('fault 11.9: schedules that meet their RPO pass; weekdays-only and half-year gaps are found; cron with rpo 0 is warned about', () => {
    expect(checkPlan(plan('"0 2 * * *"', '24h'), NOW).warnings).toEqual([]);
    expect(checkPlan(plan('"*/15 * * * *"', '15m'), NOW).warnings).toEqual([]);
    expect(checkPlan(plan('"0 4 * * 0"', '7d'), NOW).warnings).toEqual([]);
    // Friday 02:00 to Monday 02:00.
    expect(checkPlan(plan('"0 2 * * 1-5"', '24h'), NOW).warnings).toEqual([expect.stringContaining("schedule '0 2 * * 1-5' leaves up to 3d between runs")]);
    // Every 5 minutes January to June, then nothing until January.
    expect(checkPlan(plan('"*/5 * * 1-6 *"', '1h'), NOW).warnings).toEqual([expect.stringContaining('leaves up to 184d between runs, longer than its rpo of 1h')]);
    expect(checkPlan(plan('"0 2 * * *"', '0'), NOW).warnings).toEqual([expect.stringContaining('rpo 0 asks for every change, which only on-change meets')]);
    expect(checkPlan(plan('on-change', '0'), NOW).warnings).toEqual([]);
  });
});
