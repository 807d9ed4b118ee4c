import { describe, expect, test } from 'vitest';
import type { RunRecord } from '@lifeboat/core';
import { historyReducer, initialHistory, rtoBars, rtoPoints } from './history-state.js';
import { historyIntent } from './use-history-keys.js';

const record = (operation: RunRecord['operation'], at: string, details: Record<string, unknown>, outcome: 'ok' | 'failed' = 'ok'): RunRecord =>
  ({ id: at, operation, startedAt: at, finishedAt: at, durationMs: 1, exitCode: 0, components: [{ component: 'database', outcome, durationMs: 1, details }] }) as unknown as RunRecord;

const plan = { components: { database: { rto: 4000 } } } as never;

describe('history', () => {
  test('runs newest first; g reads the journal again', () => {
    const s = historyReducer(initialHistory, { type: 'loaded', records: [record('backup', '1', {}), record('drill', '2', {})], warnings: [] });
    expect(s.records?.map((r) => r.id)).toEqual(['2', '1']);
    expect(historyIntent('refresh', 5)).toEqual({ kind: 'reload' });
  });

  test('RTO points come from drills and runbooks, with the target they had', () => {
    const points = rtoPoints(
      [
        record('backup', '2026-01-01', {}),
        record('drill', '2026-01-02', { rtoActualMs: 1000, rtoTargetMs: 4000 }),
        record('runbook', '2026-01-03', { runbook: 'database-corruption', rtoActualMs: 6000 }, 'failed'),
      ],
      plan,
    );
    expect(points).toEqual([
      { at: '2026-01-02', component: 'database', operation: 'drill', label: 'drill', actualMs: 1000, targetMs: 4000, ok: true },
      { at: '2026-01-03', component: 'database', operation: 'runbook', label: 'database-corruption', actualMs: 6000, targetMs: 4000, ok: false },
    ]);
  });

  test('bars share one scale: the target is the same column on every row', () => {
    const points = rtoPoints([record('drill', 'a', { rtoActualMs: 1000, rtoTargetMs: 4000 }), record('drill', 'b', { rtoActualMs: 6000, rtoTargetMs: 4000 })], plan);
    const [under, over] = rtoBars(points, 30);
    expect(under!.bar.length).toBe(30);
    expect(under!.over).toBe(false);
    expect(over!.over).toBe(true);
    const target = 20; // 30 columns for 1.5× the target
    expect(under!.bar[target]).toBe('│');
    expect(over!.bar[target]).toBe('┃');
    expect(under!.bar.indexOf('·')).toBe(5);
  });
});
