import { describe, expect, test } from 'vitest';
import type { Runbook } from '@lifeboat/core';
import { idleRun, runReducer } from '../live/run-state.js';
import { initialRunbooks, runbooksReducer, sessionDetails, type RunbooksAction, type RunbooksState } from './runbooks-state.js';
import { runbooksIntent, runbooksScopes } from './use-runbooks-keys.js';

const book: Runbook = {
  id: 'database-corruption',
  title: 'Database corruption',
  detection: ['errors'],
  steps: [
    { title: 'Stop all writes' },
    { title: 'Check the backups', action: { type: 'verify' } },
    { title: 'Say hello', command: 'echo hello' },
  ],
};
const opened = runbooksReducer(initialRunbooks, { type: 'open', runbook: book, scope: { components: ['database'], targets: [[], ['database'], []] } });
const apply = (actions: RunbooksAction[], from: RunbooksState = opened) => actions.reduce(runbooksReducer, from);
const intent = (s: RunbooksState, command: Parameters<typeof runbooksIntent>[0], now = 0) => runbooksIntent(command, s, idleRun, { count: 3, page: 5, now });

describe('runbook session', () => {
  test('the timer starts at the first step acted on, not when the runbook opens', () => {
    expect(opened.session?.startedAt).toBeUndefined();
    const s = apply([{ type: 'markDone', index: 0, at: 1000 }, { type: 'skip', index: 1, at: 5000 }]);
    expect(s.session?.startedAt).toBe(1000);
  });

  test('enter marks a manual step done, runs an automated one; selection moves to the next pending step', () => {
    expect(intent(opened, 'open', 7)).toEqual({ kind: 'dispatch', action: { type: 'markDone', index: 0, at: 7 } });
    const s = apply([{ type: 'markDone', index: 0, at: 7 }]);
    expect(s.session?.selected).toBe(1);
    expect(intent(s, 'open')).toEqual({ kind: 'execute', index: 1 });
    expect(intent(apply([{ type: 'move', by: 1, count: 3 }], s), 'open')).toEqual({ kind: 'execute', index: 2 });
  });

  test('a note: n, type (any letter, q too), enter marks the step done with it', () => {
    let s = apply([{ type: 'startNote' }]);
    expect(runbooksScopes(s, idleRun)).toEqual(['text']);
    s = apply([{ type: 'noteText', text: 'stopped via systemctlq' }, { type: 'noteErase' }], s);
    const submit = intent(s, 'submit', 9);
    expect(submit).toEqual({ kind: 'dispatch', action: { type: 'markDone', index: 0, at: 9, note: 'stopped via systemctl' } });
    s = apply([(submit as { action: RunbooksAction }).action], s);
    expect(s.session?.steps[0]).toMatchObject({ status: 'done', note: 'stopped via systemctl' });
    expect(s.session?.typingNote).toBe(false);
  });

  test('an automated step: started, then its exit code and output; a failure stays selected', () => {
    let s = apply([{ type: 'stepStarted', index: 2, at: 10 }]);
    expect(s.session?.steps[2]?.status).toBe('running');
    s = apply([{ type: 'stepFinished', index: 2, at: 20, exitCode: 3, output: ['oops', 'exit code 3'], error: 'hook runbook[0] exited with code 3' }], s);
    expect(s.session?.steps[2]).toMatchObject({ status: 'failed', exitCode: 3, output: ['oops', 'exit code 3'] });
    expect(s.session?.selected).toBe(2);
    expect(s.session?.running).toBeUndefined();
  });

  test('while a step runs, keys drive the run: c asks to cancel it', () => {
    const running = runReducer(idleRun, { type: 'start', title: 'step 2', destinations: [], at: 0 });
    expect(runbooksScopes(opened, running)).toEqual(['live']);
    expect(runbooksIntent('cancel', opened, running, { count: 3, page: 5, now: 0 })).toEqual({ kind: 'live', intent: 'askCancel' });
    expect(runbooksIntent('skip', opened, running, { count: 3, page: 5, now: 0 })).toBeUndefined();
  });

  test('the restore wizard can be left without restoring: the step is pending again', () => {
    const s = apply([{ type: 'stepStarted', index: 1, at: 1, wizard: true }, { type: 'stepAbandoned', index: 1 }]);
    expect(s.session?.steps[1]?.status).toBe('pending');
    expect(s.session?.wizard).toBe(false);
  });

  test('finish asks while steps are pending; nothing to finish before the first step', () => {
    expect(intent(opened, 'finish')).toEqual({ kind: 'dispatch', action: { type: 'problem', text: 'nothing is done yet: the timer starts at the first step' } });
    const started = apply([{ type: 'markDone', index: 0, at: 1 }]);
    expect(intent(started, 'finish')).toEqual({ kind: 'dispatch', action: { type: 'ask', question: 'finish' } });
    const asked = apply([{ type: 'ask', question: 'finish' }], started);
    expect(runbooksScopes(asked, idleRun)).toEqual(['confirm']);
    expect(intent(asked, 'yes')).toEqual({ kind: 'finish' });
    expect(intent(asked, 'no')).toEqual({ kind: 'dispatch', action: { type: 'dismiss' } });
    const all = apply([{ type: 'skip', index: 1, at: 2 }, { type: 'markDone', index: 2, at: 3 }], started);
    expect(intent(all, 'finish')).toEqual({ kind: 'finish' });
  });

  test('esc with a run under way asks before throwing the timer away', () => {
    expect(intent(opened, 'back')).toEqual({ kind: 'dispatch', action: { type: 'close' } });
    const started = apply([{ type: 'markDone', index: 0, at: 1 }]);
    expect(intent(started, 'back')).toEqual({ kind: 'dispatch', action: { type: 'ask', question: 'leave' } });
    expect(intent(apply([{ type: 'ask', question: 'leave' }], started), 'yes')).toEqual({ kind: 'dispatch', action: { type: 'close' } });
  });

  test('what goes into the journal: the RTO actual and every step outcome', () => {
    const s = apply([
      { type: 'markDone', index: 0, at: 1000, note: 'done by hand' },
      { type: 'stepStarted', index: 1, at: 2000 },
      { type: 'stepFinished', index: 1, at: 4000, exitCode: 0, output: [] },
      { type: 'finish', at: 61_000 },
    ]);
    expect(sessionDetails(s.session!)).toEqual({
      exitCode: 1,
      rtoActualMs: 60_000,
      steps: [
        { title: 'Stop all writes', kind: 'manual', outcome: 'done', note: 'done by hand' },
        { title: 'Check the backups', kind: 'action', action: 'verify', components: ['database'], outcome: 'done', exitCode: 0, durationMs: 2000 },
        { title: 'Say hello', kind: 'command', command: 'echo hello', outcome: 'not done' },
      ],
    });
    expect(intent(s, 'open')).toBeUndefined();
  });

  test('the list: move and open', () => {
    expect(runbooksScopes(initialRunbooks, idleRun)).toEqual(['list']);
    expect(runbooksIntent('down', initialRunbooks, idleRun, { count: 4, page: 5, now: 0 })).toEqual({ kind: 'dispatch', action: { type: 'move', by: 1, count: 4 } });
    expect(runbooksIntent('open', initialRunbooks, idleRun, { count: 4, page: 5, now: 0 })).toEqual({ kind: 'open' });
    expect(runbooksReducer(initialRunbooks, { type: 'move', by: 9, count: 4 }).selected).toBe(3);
  });
});
