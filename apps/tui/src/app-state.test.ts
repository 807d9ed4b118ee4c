import { describe, expect, test } from 'vitest';
import { appReducer, initialApp, topOf } from './app-state.js';

describe('app navigation', () => {
  test('screens stack up and esc goes back to the one under', () => {
    let s = appReducer(initialApp, { type: 'push', route: { screen: 'backups', component: 'database' } });
    s = appReducer(s, { type: 'push', route: { screen: 'restore', component: 'database', backupId: 'b1' } });
    expect(topOf(s)).toEqual({ screen: 'restore', component: 'database', backupId: 'b1' });
    s = appReducer(s, { type: 'pop' });
    expect(topOf(s)).toEqual({ screen: 'backups', component: 'database' });
  });

  test('esc on the dashboard stays and says how to quit', () => {
    const s = appReducer(initialApp, { type: 'pop' });
    expect(topOf(s).screen).toBe('dashboard');
    expect(s.notice).toBe('this is the first screen; q quits');
  });

  test('moving on clears the notice and closes help', () => {
    let s = appReducer(initialApp, { type: 'notice', text: 'something' });
    s = appReducer(s, { type: 'help', open: true });
    s = appReducer(s, { type: 'push', route: { screen: 'history' } });
    expect(s.notice).toBeUndefined();
    expect(s.help).toBe(false);
  });
});
