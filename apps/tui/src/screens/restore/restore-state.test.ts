import { describe, expect, test } from 'vitest';
import type { CatalogEntry } from '@lifeboat/core';
import { chosenBackup, initialRestore, restoreReducer, type RestoreAction, type RestoreState } from './restore-state.js';
import { isProduction, restorePlan, targetChoices, type Component } from './targets.js';
import { restoreIntent, restoreScopes } from './use-restore-keys.js';

const component = {
  name: 'database',
  type: 'postgres',
  url: 'env:DATABASE_URL',
  hooks: { beforeRestore: ['docker-compose stop backend'], afterRestore: ['docker-compose up -d'], beforeBackup: [], afterBackup: [] },
  destinations: ['local', 's3'],
  drill: { target: 'ephemeral' },
} as unknown as Component;

const entry = (id: string): CatalogEntry =>
  ({
    id,
    component: 'database',
    destinations: ['local', 's3'],
    manifest: { id, startedAt: id, finishedAt: id, facts: { tables: { users: 3, cities: 2 } }, artifacts: [{ name: 'database.dump', bytes: 2048 }] },
  }) as unknown as CatalogEntry;

const reduce = restoreReducer(component);
const steps = (actions: RestoreAction[], from = initialRestore('database')) => actions.reduce(reduce, from);
const loaded: RestoreAction = { type: 'loaded', entries: [entry('2026-01-01'), entry('2026-01-02')], warnings: [] };
const type = (text: string): RestoreAction => ({ type: 'text', text });

describe('restore wizard steps', () => {
  test('backup (newest first) → target → review → running, for the drill target', () => {
    let s = steps([loaded]);
    expect(s.step).toBe('backup');
    expect(chosenBackup(s)?.id).toBe('2026-01-02');
    s = steps([{ type: 'move', by: 1 }, { type: 'next' }], s);
    expect(chosenBackup(s)?.id).toBe('2026-01-01');
    expect(s.step).toBe('target');
    s = steps([{ type: 'next' }], s);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'drill', value: 'ephemeral' }, clean: false });
    // Clean means nothing for a drill (a scratch target is always empty).
    expect(steps([{ type: 'toggleClean' }], s).clean).toBe(false);
    expect(steps([{ type: 'next' }], s).step).toBe('running');
  });

  test('a backup chosen in the browser skips the first step; esc then leaves the wizard', () => {
    const s = steps([loaded], initialRestore('database', '2026-01-01'));
    expect(s.step).toBe('target');
    expect(chosenBackup(s)?.id).toBe('2026-01-01');
    expect(restoreIntent('back', s, 5)).toEqual({ kind: 'exit' });
  });

  test('a typed target: letters go into the field (q too), backspace erases, empty is refused', () => {
    let s = steps([loaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }]);
    expect(s.step).toBe('typing');
    expect(restoreScopes(s)).toEqual(['text']);
    s = steps([{ type: 'next' }], s);
    expect(s.problem).toBe('type where to restore, e.g. env:RESTORE_URL');
    s = steps([type('env:RESTORE_URLq'), { type: 'erase' }, { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'typed', value: 'env:RESTORE_URL' }, clean: false });
    s = steps([{ type: 'toggleClean' }], s);
    expect(s.clean).toBe(true);
    expect(steps([{ type: 'next' }], s).step).toBe('running');
  });

  test('production (chosen, or typed as the component url) needs the component name typed exactly', () => {
    let s = steps([loaded, { type: 'next' }, { type: 'move', by: 1 }, { type: 'next' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'production', value: 'env:DATABASE_URL' }, clean: true });
    s = steps([{ type: 'next' }], s);
    expect(s.step).toBe('confirm');
    s = steps([type('databse'), { type: 'next' }], s);
    expect(s.step).toBe('confirm');
    expect(s.problem).toBe('type database exactly to restore over production (you typed "databse")');
    s = steps([{ type: 'erase' }, { type: 'erase' }, { type: 'erase' }, type('base'), { type: 'next' }], s);
    expect(s.step).toBe('running');

    const typed = steps([loaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }, type(' env:DATABASE_URL '), { type: 'next' }]);
    expect(typed.target).toEqual({ kind: 'production', value: 'env:DATABASE_URL' });
    expect(isProduction(component, 'env:OTHER')).toBe(false);
  });

  test('esc steps back one step at a time', () => {
    const review = steps([loaded, { type: 'next' }, { type: 'move', by: 1 }, { type: 'next' }, { type: 'next' }]);
    expect(review.step).toBe('confirm');
    const back = (s: RestoreState) => steps([{ type: 'back' }], s);
    expect(back(review).step).toBe('review');
    expect(back(back(review)).step).toBe('target');
    expect(back(back(back(review))).step).toBe('backup');
    expect(restoreIntent('back', back(back(back(review))), 5)).toEqual({ kind: 'exit' });
  });

  test('after the restore, enter or esc leaves', () => {
    const done: RestoreState = { ...initialRestore('database'), step: 'done' };
    expect(restoreIntent('open', done, 5)).toEqual({ kind: 'exit' });
    expect(restoreIntent('back', done, 5)).toEqual({ kind: 'exit' });
  });
});

describe('what the restore will do', () => {
  const backup = entry('2026-01-02');
  test('targets: the drill target, production (the component url), or type one', () => {
    expect(targetChoices(component).map((c) => c.kind)).toEqual(['drill', 'production', 'typed']);
    expect(targetChoices({ ...component, drill: undefined, url: undefined } as unknown as Component).map((c) => c.kind)).toEqual(['typed']);
  });

  test('says which hooks run, whether the database is dropped, and what is compared', () => {
    const lines = restorePlan({ component: 'database', entry: component, backup, target: { kind: 'production', value: 'env:DATABASE_URL' }, clean: true });
    expect(lines[0]).toBe('run beforeRestore: docker-compose stop backend');
    expect(lines[1]).toBe('restore backup 2026-01-02 (2.0 KiB, from local) into env:DATABASE_URL — PRODUCTION, the live database');
    expect(lines[2]).toContain('DROP it and create it again');
    expect(lines[3]).toBe('compare the row counts recorded at backup time (users, cities)');
    expect(lines[4]).toBe('then, only if every check passes, run afterRestore: docker-compose up -d');
    expect(restorePlan({ component: 'database', entry: component, backup, target: { kind: 'typed', value: 'env:X' }, clean: false })[2]).toContain('nothing is dropped');
  });

  test('a drill target runs no hooks and never touches production', () => {
    const lines = restorePlan({ component: 'database', entry: component, backup, target: { kind: 'drill', value: 'ephemeral' }, clean: false });
    expect(lines[0]).toContain('a throwaway server started for this; never production');
    expect(lines.at(-1)).toBe('no hooks run: a drill leaves the services alone');
  });
});
