import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanError } from '../errors.js';
import { parsePlan, type PlanRegistry } from './load.js';
import { DEFAULT_SCHEDULES, resolveSchedules } from './schedules.js';

const registry: PlanRegistry = {
  strategies: [{ kind: 'files', config: z.object({ paths: z.array(z.string()).min(1) }) }],
  storage: [{ type: 'fs', config: z.object({ path: z.string().min(1) }), defaultMedium: 'disk' }],
};

const plan = (schedules: string) => `
version: 1
name: t
destinations: { local: { type: fs, path: /b } }
components:
  config: { type: files, paths: [/etc/x], schedule: on-change, rpo: 0, rto: 1h, destinations: [local] }
${schedules}
`;

describe('schedules:', () => {
  it('defaults when absent: UTC, daily verify of a tenth, monthly drill, status every 5 minutes, daily prune', () => {
    const parsed = parsePlan(plan(''), 'p.yaml', registry);
    expect(parsed.schedules).toBeUndefined();
    expect(resolveSchedules(parsed)).toEqual(DEFAULT_SCHEDULES);
    expect(DEFAULT_SCHEDULES).toMatchObject({ timeZone: 'UTC', verify: { schedule: '30 5 * * *', sample: 10 }, drill: { schedule: '0 6 1 * *' }, status: { schedule: '*/5 * * * *' } });
  });

  it('reads what is written and keeps the rest of the defaults', () => {
    const parsed = parsePlan(
      plan('schedules: { timeZone: Europe/Berlin, randomizedDelay: 10m, verify: { sample: 25 }, drill: { schedule: off }, status: { prometheus: /var/lib/node_exporter/textfile/lifeboat.prom } }'),
      'p.yaml',
      registry,
    );
    expect(resolveSchedules(parsed)).toEqual({
      ...DEFAULT_SCHEDULES,
      timeZone: 'Europe/Berlin',
      randomizedDelay: 600_000,
      verify: { schedule: '30 5 * * *', sample: 25 },
      drill: { schedule: 'off' },
      status: { schedule: '*/5 * * * *', prometheus: '/var/lib/node_exporter/textfile/lifeboat.prom' },
    });
  });

  it.each([
    ['schedules: { timeZone: Mars/Olympus }', 'schedules.timeZone', 'an IANA time zone such as UTC or Europe/Berlin'],
    ['schedules: { prune: { schedule: "every day" } }', 'schedules.prune.schedule', 'or off'],
    ['schedules: { verify: { sample: 0 } }', 'schedules.verify.sample', 'percentage'],
    ['schedules: { drills: {} }', 'schedules: unknown key "drills"', 'drill'],
  ])('refuses %s, naming %s', (text, field, expected) => {
    let error: unknown;
    try {
      parsePlan(plan(text), 'p.yaml', registry);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).message).toContain(field);
    expect((error as PlanError).message).toContain(expected);
  });
});
