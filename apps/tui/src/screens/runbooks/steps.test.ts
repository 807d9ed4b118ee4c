import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadPlan, readJournal, type EngineContext, type Runbook } from '@lifeboat/core';
import { createServices } from '../../services.js';
import { registry } from '../../test/repo.js';
import { openSession, runbooksReducer, type RunbooksState } from './runbooks-state.js';
import { recordSession, runbookScope, stepRefusal } from './steps.js';

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-steps-'));
  const reg = registry();
  await writeFile(
    join(dir, 'lifeboat.yaml'),
    JSON.stringify({ version: 1, name: 'steps', destinations: { a: { type: 'fs', path: './a' }, b: { type: 'fs', path: './b' } }, components: { database: { type: 'postgres', url: 'env:DATABASE_URL', schedule: '0 2 * * *', rpo: '24h', rto: '4h', destinations: ['a', 'b'] } } }),
  );
  const plan = await loadPlan(join(dir, 'lifeboat.yaml'), reg);
  const env = { PATH: process.env.PATH };
  const engine = (onEvent: EngineContext['onEvent']): EngineContext => ({ plan, registry: reg, env, lockDir: join(dir, 'locks'), toolVersion: '9.9.9', onEvent });
  const services = createServices({ plan, engine, registry: reg, env, version: '9.9.9' });
  return { dir, plan, services, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe('automated steps', () => {
  test("a finished session is written to every destination's journal as a runbook run with its RTO actual", async () => {
    const f = await fixture();
    try {
      let s: RunbooksState = { selected: 0, session: openSession({ id: 'data-deletion', title: 'Accidental data deletion', detection: [], steps: [{ title: 'Stop writes' }, { title: 'Check', action: { type: 'status' } }] }, { components: ['database'], targets: [[], ['database']] }) };
      s = runbooksReducer(s, { type: 'markDone', index: 0, at: Date.parse('2026-02-14T02:00:00Z'), note: 'stopped' });
      s = runbooksReducer(s, { type: 'skip', index: 1, at: Date.parse('2026-02-14T02:01:00Z') });
      s = runbooksReducer(s, { type: 'finish', at: Date.parse('2026-02-14T02:30:00Z') });
      const warnings: string[] = [];
      const id = await recordSession(f.services, s.session!, (w) => warnings.push(w));
      expect(warnings).toEqual([]);
      const journal = await readJournal(f.plan, f.services.registry);
      expect(journal).toHaveLength(1);
      expect(journal[0]).toMatchObject({
        id,
        operation: 'runbook',
        plan: 'steps',
        toolVersion: '9.9.9',
        startedAt: '2026-02-14T02:00:00.000Z',
        finishedAt: '2026-02-14T02:30:00.000Z',
        durationMs: 30 * 60_000,
        exitCode: 0,
        components: [
          {
            component: 'database',
            outcome: 'ok',
            durationMs: 30 * 60_000,
            details: {
              runbook: 'data-deletion',
              rtoActualMs: 30 * 60_000,
              steps: [
                { title: 'Stop writes', kind: 'manual', outcome: 'done', note: 'stopped' },
                { title: 'Check', kind: 'action', action: 'status', components: ['database'], outcome: 'skipped' },
              ],
            },
          },
        ],
      });
      // In both destinations, so any machine sees it.
      for (const d of ['a', 'b']) {
        const single = { ...f.plan, destinations: { [d]: f.plan.destinations[d]! } };
        expect(await readJournal(single, f.services.registry)).toHaveLength(1);
      }
    } finally {
      await f.cleanup();
    }
  });
});

describe('what a runbook acts on', () => {
  const plan = {
    components: {
      database: { name: 'database', type: 'postgres' },
      analytics: { name: 'analytics', type: 'postgres' },
      config: { name: 'config', type: 'files' },
    },
  } as unknown as Parameters<typeof runbookScope>[1];
  const book = (about: string[] | undefined, steps: Runbook['steps']): Runbook => ({ id: 'x', title: 'X', detection: [], ...(about ? { about } : {}), steps });

  test('the components the scenario is about, by type or name, whatever the dashboard selected', () => {
    const corruption = book(['postgres'], [{ title: 'Stop' }, { title: 'Verify', action: { type: 'verify' } }, { title: 'Config', action: { type: 'backup', component: 'config' } }]);
    expect(runbookScope(corruption, plan, 'config')).toEqual({ components: ['database', 'analytics'], targets: [[], ['database', 'analytics'], ['config']] });
    expect(runbookScope(book(undefined, [{ title: 'Verify', action: { type: 'verify' } }]), plan, 'config').components).toEqual(['database', 'analytics', 'config']);
  });

  test('a restore is of one component: the selected one when it is a candidate; else the step refuses with a sentence', () => {
    const restore = book(['postgres'], [{ title: 'Restore', action: { type: 'restore' } }]);
    expect(runbookScope(restore, plan, 'analytics').targets).toEqual([['analytics']]);
    const ambiguous = openSession(restore, runbookScope(restore, plan, 'config'));
    expect(ambiguous.targets).toEqual([['database', 'analytics']]);
    expect(stepRefusal(ambiguous, 0)).toBe(
      "step 1 restores one component, and this runbook is about database, analytics: select the one to restore on the dashboard before opening the runbook, or name it in the step's action.component",
    );
    const none = openSession(book(['redis'], [{ title: 'Verify', action: { type: 'verify' } }]), runbookScope(book(['redis'], [{ title: 'Verify', action: { type: 'verify' } }]), plan, 'config'));
    expect(stepRefusal(none, 0)).toBe('step 1 acts on redis, and this plan has no such component');
    expect(stepRefusal(openSession(restore, runbookScope(restore, plan, 'database')), 0)).toBeUndefined();
  });
});
