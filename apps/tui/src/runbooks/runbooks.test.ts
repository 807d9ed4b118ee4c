import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadPlan, type Runbook, type RunbookContribution } from '@lifeboat/core';
import { registry } from '../test/repo.js';
import { DEFAULT_RUNBOOKS } from './defaults.js';
import { runbooksFor } from './merge.js';

describe('shipped runbooks', () => {
  test("the guide's four disaster scenarios, in its order", () => {
    expect(DEFAULT_RUNBOOKS.map((r) => r.title)).toEqual(['Database corruption', 'Complete server failure', 'Accidental data deletion', 'Security breach']);
  });

  test('each restores through the wizard and checks something Lifeboat can check', () => {
    for (const r of DEFAULT_RUNBOOKS) {
      expect(r.steps.some((s) => s.action?.type === 'restore'), r.id).toBe(true);
      expect(r.steps.some((s) => s.action && s.action.type !== 'restore'), r.id).toBe(true);
      expect(r.detection.length, r.id).toBeGreaterThan(0);
    }
  });

  test('every step title fits the checklist column at 80 columns', () => {
    for (const step of DEFAULT_RUNBOOKS.flatMap((r) => r.steps)) expect(step.title.length, step.title).toBeLessThanOrEqual(40);
  });

  test('are valid plan data: a plan holding them as its own runbooks loads them unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-runbooks-'));
    try {
      const file = join(dir, 'lifeboat.yaml');
      // JSON is YAML: the defaults, written as a plan would hold them.
      await writeFile(
        file,
        JSON.stringify({
          version: 1,
          name: 'runbooks',
          destinations: { local: { type: 'fs', path: './repo' } },
          components: { database: { type: 'postgres', url: 'env:DATABASE_URL', schedule: '0 2 * * *', rpo: '24h', rto: '4h', destinations: ['local'] } },
          runbooks: DEFAULT_RUNBOOKS,
        }),
      );
      const plan = await loadPlan(file, registry());
      expect(plan.runbooks).toEqual(DEFAULT_RUNBOOKS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('runbooksFor', () => {
  const mine: Runbook = { id: 'database-corruption', title: 'Our corruption drill', detection: [], steps: [{ title: 'Page the DBA', command: 'pager dba' }] };
  const extra: Runbook = { id: 'region-outage', title: 'Region outage', detection: [], steps: [{ title: 'Fail over' }] };

  test('the plan replaces a shipped runbook by id, in place, and adds new ones after', () => {
    const merged = runbooksFor({ runbooks: [extra, mine] });
    expect(merged.map((e) => `${e.runbook.id}:${e.source}`)).toEqual([
      'database-corruption:plan',
      'server-failure:shipped',
      'data-deletion:shipped',
      'security-breach:shipped',
      'region-outage:plan',
    ]);
    expect(merged[0]!.runbook.title).toBe('Our corruption drill');
  });

  test('without plan runbooks, the shipped ones', () => {
    expect(runbooksFor({ runbooks: [] }).map((e) => e.runbook)).toEqual(DEFAULT_RUNBOOKS);
  });

  // A kind that adds a step to the server-failure scenario for each of its components, as ec2 does.
  const launch = (name: string): RunbookContribution => ({ runbook: 'server-failure', at: 'start', step: { title: `Launch ${name}`, action: { type: 'restore', component: name, target: 'launch' } } });
  const registry = { strategy: (kind: string) => ({ runbookSteps: kind === 'ec2' ? (name: string) => [launch(name)] : undefined }) } as never;
  const components = (types: Record<string, string>) => Object.fromEntries(Object.entries(types).map(([name, type]) => [name, { name, type }])) as never;

  test("a shipped runbook gets the steps the plan's kinds add, per component, and only those", () => {
    const merged = runbooksFor({ runbooks: [], components: components({ web: 'ec2', db: 'postgres', worker: 'ec2' }) }, DEFAULT_RUNBOOKS, registry);
    const failure = merged.find((e) => e.runbook.id === 'server-failure')!;
    expect(failure.source).toBe('shipped');
    expect(failure.runbook.steps.map((s) => s.title).slice(0, 3)).toEqual(['Launch web', 'Launch worker', 'Provision a new server']);
    expect(failure.runbook.steps).toHaveLength(DEFAULT_RUNBOOKS[1]!.steps.length + 2);
    // The other scenarios, and the shipped data itself, are unchanged.
    expect(merged.filter((e) => e.runbook.id !== 'server-failure').map((e) => e.runbook)).toEqual(DEFAULT_RUNBOOKS.filter((r) => r.id !== 'server-failure'));
    expect(DEFAULT_RUNBOOKS[1]!.steps[0]!.title).toBe('Provision a new server');
  });

  test('a plan without such a kind, or one that replaced the runbook, gets none', () => {
    expect(runbooksFor({ runbooks: [], components: components({ db: 'postgres' }) }, DEFAULT_RUNBOOKS, registry).map((e) => e.runbook)).toEqual(DEFAULT_RUNBOOKS);
    const ours: Runbook = { id: 'server-failure', title: 'Ours', detection: [], steps: [{ title: 'Call the provider' }] };
    const merged = runbooksFor({ runbooks: [ours], components: components({ web: 'ec2' }) }, DEFAULT_RUNBOOKS, registry);
    expect(merged[1]).toEqual({ runbook: ours, source: 'plan' });
  });
});
