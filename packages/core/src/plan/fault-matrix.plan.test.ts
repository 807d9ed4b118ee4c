import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExitCode, PlanError } from '../errors.js';
import { parsePlan, type PlanRegistry } from './load.js';
import type { ContinuousPlan, ContinuousRefusal } from '../continuous.js';

const registry: PlanRegistry = {
  strategies: [
    { kind: 'postgres', config: z.object({ url: z.string() }) },
    { kind: 'files', config: z.object({ paths: z.array(z.string()).min(1) }) },
  ],
  storage: [{ type: 'fs', config: z.object({ path: z.string().min(1) }), defaultMedium: 'disk' }],
};

const plan = (schedule: string) => `version: 1
name: civicq
destinations:
  local: { type: fs, path: /var/backups }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: ${schedule}
    rpo: 24h
    rto: 4h
    destinations: [local]
`;

describe('fault matrix: the plan', () => {
  it("fault 11.9: schedule: continuous is refused at load with one sentence (exit 2) for a kind that cannot do it, not accepted and ignored", () => {
    let refused: unknown;
    try {
      parsePlan(plan('continuous'), 'lifeboat.yaml', registry);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(PlanError);
    expect((refused as PlanError).exitCode).toBe(ExitCode.usage);
    expect((refused as PlanError).problems).toEqual([
      "lifeboat.yaml: components.database.schedule: 'continuous' is not something type postgres can do; use a cron expression or on-change",
    ]);
    // The schedules that work still load.
    expect(parsePlan(plan('on-change'), 'lifeboat.yaml', registry).components['database']?.schedule).toEqual({ kind: 'on-change' });
    expect(parsePlan(plan('"0 2 * * *"'), 'lifeboat.yaml', registry).components['database']?.schedule).toEqual({ kind: 'cron', expression: '0 2 * * *' });
  });

  it('schedule: continuous is accepted where the kind\'s continuous hook says how, and refused with its sentence where it says why not', () => {
    const withHook = (answer: ContinuousPlan | ContinuousRefusal): PlanRegistry => ({
      ...registry,
      strategies: registry.strategies.map((s) => (s.kind === 'postgres' ? { ...s, continuous: () => answer } : s)),
    });
    const accepted = parsePlan(plan('continuous'), 'lifeboat.yaml', withHook({ how: 'archive_command stores each WAL segment', backups: '0 2 * * 0' }));
    expect(accepted.components['database']?.schedule).toEqual({ kind: 'continuous' });
    expect(() => parsePlan(plan('continuous'), 'lifeboat.yaml', withHook({ refused: 'needs pitr:', advice: 'add pitr:' }))).toThrow(
      "lifeboat.yaml: components.database.schedule: 'continuous' needs pitr:; add pitr:",
    );
  });
});
