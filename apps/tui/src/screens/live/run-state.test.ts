import { describe, expect, test } from 'vitest';
import type { RunEvent } from '@lifeboat/core';
import { etaOf, idleRun, isActive, rateOf, runReducer, type RunAction, type RunState } from './run-state.js';
import { liveIntent } from './use-live-keys.js';

const run = (actions: RunAction[], from: RunState = idleRun) => actions.reduce(runReducer, from);
const ev = (event: RunEvent, at: number): RunAction => ({ type: 'event', event, at });
const start: RunAction = { type: 'start', title: 'backup of database', destinations: ['primary', 'mirror'], at: 0 };

describe('run state from engine events', () => {
  test('progress fans out to every destination, with a rate and (estimated) ETA', () => {
    const s = run([
      { ...start, estimateBytes: 4000 },
      ev({ type: 'step', component: 'database', message: 'pg_dump 15 of postgres://db' }, 10),
      ev({ type: 'progress', component: 'database', artifact: 'database.dump', bytes: 1000 }, 1000),
      ev({ type: 'progress', component: 'database', artifact: 'database.dump', bytes: 2000 }, 2000),
    ]);
    expect(s.step).toBe('pg_dump 15 of postgres://db');
    const a = s.artifacts[0]!;
    expect(a.destinations).toEqual({ primary: 2000, mirror: 2000 });
    expect(a.total).toBe(4000);
    expect(a.estimated).toBe(true);
    expect(rateOf(a)).toBe(1000);
    expect(etaOf(a)).toBe(2000);
    // Progress is drawn as bars, not logged line by line.
    expect(s.log).toEqual(['pg_dump 15 of postgres://db']);
  });

  test('per-destination bytes from the event win over the fan-out assumption; a known total is not an estimate', () => {
    const s = run([
      start,
      ev({ type: 'progress', component: 'r', artifact: 'dump.rdb', bytes: 50, total: 100, destinations: { primary: 50, mirror: 20 } }, 1),
    ]);
    expect(s.artifacts[0]).toMatchObject({ total: 100, estimated: false, destinations: { primary: 50, mirror: 20 } });
  });

  test('stored, committed, finished: the summary a person needs', () => {
    const s = run([
      start,
      ev({ type: 'artifact.stored', component: 'database', artifact: { name: 'database.dump', bytes: 9000, sha256: 'a'.repeat(64), compression: 'none', format: 'pg_dump' }, destinations: ['primary', 'mirror'] }, 5),
      ev({ type: 'committed', component: 'database', backupId: 'B1', destinations: ['primary', 'mirror'], bytes: 9000 }, 6),
      ev({ type: 'run.finished', runId: 'R', outcome: 'ok', durationMs: 6, exitCode: 0 }, 6),
      { type: 'settled', at: 7, exitCode: 0 },
    ]);
    expect(s.artifacts[0]).toMatchObject({ stored: true, bytes: 9000, destinations: { primary: 9000, mirror: 9000 } });
    expect(etaOf(s.artifacts[0]!)).toBeUndefined();
    expect(s.committed).toEqual({ backupId: 'B1', destinations: ['primary', 'mirror'], bytes: 9000 });
    expect(s).toMatchObject({ phase: 'done', outcome: 'ok', exitCode: 0, durationMs: 6 });
    expect(s.log.at(-1)).toBe('finished: ok (exit 0) in 0.0s');
  });

  test('the live target checked after afterRestore joins the restore\u2019s checks, in one table', () => {
    const file = { name: 'RDB checksum', expected: 'crc64:1', actual: 'crc64:1', ok: true };
    const live = { name: 'keys in db0', expected: 10, actual: 10, ok: true };
    const s = run([
      start,
      ev({ type: 'restored', component: 'cache', backupId: 'B1', target: '/data/dump.rdb', checks: [file] }, 1),
      ev({ type: 'checked', component: 'cache', backupId: 'B1', target: 'redis://cache:6379 after the afterRestore hooks', checks: [live] }, 2),
    ]);
    expect(s.restored).toEqual({ backupId: 'B1', target: '/data/dump.rdb', checks: [file, live] });
    expect(s.log.at(-1)).toBe('checked redis://cache:6379 after the afterRestore hooks against backup B1');
  });

  test('a failure keeps the engine sentence once, even when the promise rejects with it too', () => {
    const message = 'restore of database into postgres://x does not match backup B1: rows in users expected 120, got 119';
    const s = run([start, ev({ type: 'failed', component: 'database', message, exitCode: 1 }, 1), { type: 'settled', at: 2, error: message, exitCode: 1 }]);
    expect(s.failures).toEqual([message]);
    expect(s).toMatchObject({ outcome: 'failed', exitCode: 1 });
  });

  test('the run exit code wins over what the promise says', () => {
    const s = run([start, ev({ type: 'run.finished', runId: 'R', outcome: 'failed', durationMs: 1, exitCode: 3 }, 1), { type: 'settled', at: 2, exitCode: 0 }]);
    expect(s.exitCode).toBe(3);
    expect(s.outcome).toBe('failed');
  });

  test('cancel asks first; yes cancels, no keeps running; a cancelled run says so', () => {
    let s = run([start]);
    expect(liveIntent('cancel', s)).toBe('askCancel');
    s = runReducer(s, { type: 'askCancel' });
    expect(liveIntent('no', s)).toBe('keepRunning');
    expect(liveIntent('cancel', s)).toBeUndefined();
    expect(runReducer(s, { type: 'keepRunning' })).toMatchObject({ phase: 'running', confirmCancel: false });
    expect(liveIntent('yes', s)).toBe('cancel');
    s = runReducer(s, { type: 'cancel' });
    expect(s.phase).toBe('cancelling');
    expect(isActive(s)).toBe(true);
    s = run([ev({ type: 'failed', component: 'database', message: 'backup of database was cancelled', exitCode: 1 }, 3), { type: 'settled', at: 4, exitCode: 1 }], s);
    expect(s).toMatchObject({ phase: 'done', outcome: 'cancelled' });
    expect(liveIntent('cancel', s)).toBeUndefined();
  });

  test('the log keeps a bounded tail', () => {
    const lines = Array.from({ length: 500 }, (_, i): RunAction => ({ type: 'line', text: `line ${i}` }));
    const s = run([start, ...lines]);
    expect(s.log.length).toBeLessThanOrEqual(200);
    expect(s.log.at(-1)).toBe('line 499');
  });
});
