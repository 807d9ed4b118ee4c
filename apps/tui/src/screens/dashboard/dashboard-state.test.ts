import { describe, expect, test } from 'vitest';
import type { ComponentStatus } from '@lifeboat/verify';
import { backupCell, copiesCell, drillCell } from './dashboard.js';
import { dashboardReducer, initialDashboard, selectedComponent } from './dashboard-state.js';
import { dashboardIntent } from './use-dashboard-keys.js';

const status = (over: Partial<ComponentStatus> = {}): ComponentStatus => ({
  component: 'database',
  kind: 'postgres',
  health: 'ok',
  reasons: [],
  rpoMs: 24 * 3_600_000,
  rtoMs: 4 * 3_600_000,
  freshness: 'ok',
  compliance: { copies: 3, media: 2, offsite: 1, required: { copies: 3, media: 2, offsite: 1 }, ok: true, unreachable: [] },
  destinations: [],
  ...over,
});

describe('dashboard state', () => {
  const start = initialDashboard(['database', 'redis', 'media'], ['local', 's3']);

  test('selection moves and stays within the components', () => {
    let s = dashboardReducer(start, { type: 'move', by: 1 });
    expect(selectedComponent(s)).toBe('redis');
    s = dashboardReducer(s, { type: 'move', by: 10 });
    expect(selectedComponent(s)).toBe('media');
    s = dashboardReducer(s, { type: 'move', by: -10 });
    expect(selectedComponent(s)).toBe('database');
  });

  test('a refresh keeps the last figures on screen until the new ones land (no flicker)', () => {
    let s = dashboardReducer(start, { type: 'statusLoaded', statuses: [status()], warnings: [], at: 1 });
    s = dashboardReducer(s, { type: 'refreshStarted', at: 2 });
    expect(s.loading).toBe(true);
    expect(s.statuses).toHaveLength(1);
    s = dashboardReducer(s, { type: 'statusFailed', error: "cannot read destination 's3': timed out", at: 3 });
    expect(s.statuses).toHaveLength(1);
    expect(s.error).toBe("cannot read destination 's3': timed out");
    s = dashboardReducer(s, { type: 'statusLoaded', statuses: [status()], warnings: [], at: 4 });
    expect(s.error).toBeUndefined();
  });

  test('destinations start as checking and keep the engine sentence when they fail', () => {
    expect(start.probes.local).toEqual({ state: 'checking' });
    const s = dashboardReducer(start, { type: 'probed', destination: 's3', probe: { state: 'fails', error: 'access denied' } });
    expect(s.probes.s3).toEqual({ state: 'fails', error: 'access denied' });
  });
});

describe('dashboard keys', () => {
  const s = initialDashboard(['database', 'redis'], []);
  test('b, v and d run on the selected component; enter opens its backups; r its restore', () => {
    expect(dashboardIntent('backup', s, 5)).toEqual({ kind: 'navigate', route: { screen: 'live', operation: 'backup', component: 'database' } });
    expect(dashboardIntent('drill', s, 5)).toEqual({ kind: 'navigate', route: { screen: 'live', operation: 'drill', component: 'database' } });
    expect(dashboardIntent('open', s, 5)).toEqual({ kind: 'navigate', route: { screen: 'backups', component: 'database' } });
    expect(dashboardIntent('restore', { ...s, selected: 1 }, 5)).toEqual({ kind: 'navigate', route: { screen: 'restore', component: 'redis' } });
    expect(dashboardIntent('runbooks', s, 5)).toEqual({ kind: 'navigate', route: { screen: 'runbooks', component: 'database' } });
    expect(dashboardIntent('down', s, 5)).toEqual({ kind: 'dispatch', action: { type: 'move', by: 1 } });
    expect(dashboardIntent('refresh', s, 5)).toEqual({ kind: 'refresh' });
  });

  test('a plan with no components still has history, and nothing to run', () => {
    const empty = initialDashboard([], []);
    expect(dashboardIntent('backup', empty, 5)).toBeUndefined();
    expect(dashboardIntent('history', empty, 5)).toEqual({ kind: 'navigate', route: { screen: 'history' } });
  });
});

describe('dashboard cells', () => {
  test('backup age against the RPO, with a mark that does not need colour', () => {
    expect(backupCell(status({ ageMs: 2 * 3_600_000 }))).toBe('2h/1d ✓');
    expect(backupCell(status({ ageMs: 30 * 3_600_000, freshness: 'critical' }))).toBe('1d 6h/1d ✗');
    expect(backupCell(status({ freshness: 'never' }))).toBe('never ✗');
    expect(backupCell(status({ ageMs: 60_000, rpoMs: 0 }))).toBe('1m ✓');
  });

  test('copies as copies-media-offsite, against the rule', () => {
    expect(copiesCell(status({ lastBackup: { id: 'x', finishedAt: '', bytes: 1, destinations: ['a', 'b'] } }))).toBe('3-2-1 ✓');
    expect(copiesCell(status())).toBe('—');
  });

  test('last drill as RTO actual against the target', () => {
    expect(drillCell(status())).toBe('never !');
    expect(drillCell(status({ lastDrill: { at: '', ok: true, rtoActualMs: 2000 } }))).toBe('2s/4h ✓');
    expect(drillCell(status({ lastDrill: { at: '', ok: true, rtoActualMs: 5 * 3_600_000 } }))).toBe('5h/4h !');
    expect(drillCell(status({ lastDrill: { at: '', ok: false } }))).toBe('failed ✗');
  });
});
