import { describe, expect, test } from 'vitest';
import { restoreSurfaceOf, type CatalogEntry } from '@lifeboat/core';
import { strategies } from '@lifeboat/strategies';
import { chosenBackup, initialRestore, restoreReducer, restoredBackup, type RestoreAction, type RestoreState } from './restore-state.js';
import { restorePlan } from './restore-plan.js';
import { confirmPrompt, headline, isProduction, needsConfirmation, restoreRequest, restoreTargets, type Component } from './targets.js';
import { footerHints } from '../../keys.js';
import { restoreIntent, restoreScopes } from './use-restore-keys.js';

const component = {
  name: 'database',
  type: 'postgres',
  url: 'env:DATABASE_URL',
  hooks: { beforeRestore: ['docker-compose stop backend'], afterRestore: ['docker-compose up -d'], beforeBackup: [], afterBackup: [] },
  destinations: ['local', 's3'],
  drill: { target: 'ephemeral' },
} as unknown as Component;

/** Where a backup of `entry` can go, as its strategy says. */
const targetsOf = (entry: Component) => restoreTargets(restoreSurfaceOf(strategies.find((s) => s.kind === entry.type)!), entry);
const targetChoices = (entry: Component) => targetsOf(entry).choices;

/** A complete backup of `component` whose manifest records `facts` and one artifact of `bytes`. */
const backupOf = (component: string, id: string, facts: Record<string, unknown>, bytes: number, destinations = ['local']): CatalogEntry =>
  ({ id, component, destinations, manifest: { id, startedAt: id, finishedAt: id, facts, artifacts: [{ name: 'artifact', bytes }] } }) as unknown as CatalogEntry;

const entry = (id: string) => backupOf('database', id, { tables: { users: 3, cities: 2 } }, 2048, ['local', 's3']);

/** The wizard driven by `actions` for one component, from its start or from `from`. */
const driver = (entry: Component, name: string) => {
  const reduce = restoreReducer(targetsOf(entry));
  return (actions: RestoreAction[], from = initialRestore(name)) => actions.reduce(reduce, from);
};
const steps = driver(component, 'database');
const erase = (n: number): RestoreAction[] => Array.from({ length: n }, () => ({ type: 'erase' }));
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
    expect(steps([{ type: 'next' }], s).step).toBe('running');
    // Clean drops whatever the target holds (--yes): the name is typed first.
    s = steps([{ type: 'toggleClean' }], s);
    expect(s.clean).toBe(true);
    expect(steps([{ type: 'next' }], s).step).toBe('confirm');
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
    expect(isProduction(targetsOf(component), 'env:OTHER')).toBe(false);
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

  test('c (clean) is offered, in the footer too, only where clean means something', () => {
    const review = steps([loaded, { type: 'next' }, { type: 'move', by: 1 }, { type: 'next' }]);
    expect(restoreScopes(review, true)).toEqual(['review', 'clean']);
    expect(footerHints(restoreScopes(review, true), 80)).toContain('c clean');
    expect(footerHints(restoreScopes(review, false), 80)).not.toContain('c clean');
  });

  test('after the restore, enter or esc leaves', () => {
    const done: RestoreState = { ...initialRestore('database'), step: 'done' };
    expect(restoreIntent('open', done, 5)).toEqual({ kind: 'exit' });
    expect(restoreIntent('back', done, 5)).toEqual({ kind: 'exit' });
  });
});

describe('what the restore will do', () => {
  const backup = entry('2026-01-02');
  test('targets: the drill target, production (the component url), or type one; then the table-level restores into the component url', () => {
    expect(targetChoices(component).map((c) => c.kind)).toEqual(['drill', 'production', 'typed', 'tables', 'tables-copy']);
    expect(targetChoices({ ...component, drill: undefined, url: undefined } as unknown as Component).map((c) => c.kind)).toEqual(['typed']);
  });

  test('says which hooks run, whether the database is dropped, and what is compared', () => {
    const lines = restorePlan(targetsOf(component), { component: 'database', backup, target: { kind: 'production', value: 'env:DATABASE_URL' }, clean: true });
    expect(lines[0]).toBe('run beforeRestore: docker-compose stop backend');
    expect(lines[1]).toBe('restore backup 2026-01-02 (2.0 KiB, from local) into env:DATABASE_URL — PRODUCTION, the live database');
    expect(lines[2]).toContain('DROP it and create it again');
    expect(lines[3]).toBe('compare the row counts recorded at backup time (users, cities)');
    expect(lines[4]).toBe('then, only if every check passes, run afterRestore: docker-compose up -d');
    expect(restorePlan(targetsOf(component), { component: 'database', backup, target: { kind: 'typed', value: 'env:X' }, clean: false })[2]).toContain('nothing is dropped');
  });

  test('a drill target runs no hooks and never touches production', () => {
    const lines = restorePlan(targetsOf(component), { component: 'database', backup, target: { kind: 'drill', value: 'ephemeral' }, clean: false });
    expect(lines[0]).toContain('a throwaway server started for this; never production');
    expect(lines.at(-1)).toBe('no hooks run: a drill leaves the services alone');
  });
});

describe('postgres: the request the engine gets', () => {
  test('production drops and recreates with --yes; a typed target only with clean', () => {
    expect(restoreRequest(targetsOf(component), { kind: 'production', value: 'env:DATABASE_URL' }, true)).toEqual({ target: 'env:DATABASE_URL', clean: true, yes: true, options: {} });
    expect(restoreRequest(targetsOf(component), { kind: 'typed', value: 'env:X' }, false)).toEqual({ target: 'env:X', clean: false, yes: false, options: {} });
  });

  test('a typed URL with clean on asks for the name, though the plan says env:DATABASE_URL: it may be the same database', () => {
    const review = steps([loaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }, type('postgres://app@db.prod:5432/app'), { type: 'next' }, { type: 'toggleClean' }]);
    expect(review).toMatchObject({ step: 'review', target: { kind: 'typed', value: 'postgres://app@db.prod:5432/app' }, clean: true });
    expect(restoreRequest(targetsOf(component), review.target!, review.clean).yes).toBe(true);
    let s = steps([{ type: 'next' }], review);
    expect(s.step).toBe('confirm');
    s = steps([type('database'), { type: 'next' }], s);
    expect(s.step).toBe('running');
  });

  test('the name is asked exactly when --yes would be sent, never for a drill', () => {
    // Every target of every kind, the drill target included.
    for (const entry of [component, { ...redis, drill: { target: 'ephemeral' } } as unknown as Component, files]) {
      const targets = targetsOf(entry);
      for (const { kind } of [...targets.choices, { kind: 'production' }]) {
        for (const clean of [false, true]) {
          const target = { kind, value: kind === 'inPlace' ? '/' : '/somewhere' };
          expect([kind, clean, needsConfirmation(targets, target, clean)]).toEqual([kind, clean, kind !== 'drill' && restoreRequest(targets, target, clean).yes]);
        }
      }
    }
    expect(needsConfirmation(targetsOf(component), { kind: 'drill', value: 'ephemeral' }, true)).toBe(false);
    expect(needsConfirmation(targetsOf(component), { kind: 'typed', value: 'env:X' }, false)).toBe(false);
    expect(needsConfirmation(targetsOf(component), { kind: 'typed', value: 'env:X' }, true)).toBe(true);
  });
});

const redis = {
  name: 'cache',
  type: 'redis',
  url: 'env:REDIS_URL',
  hooks: { beforeRestore: ['docker compose stop redis'], afterRestore: ['docker compose start redis'], beforeBackup: [], afterBackup: [] },
  destinations: ['local'],
} as unknown as Component;

const redisBackup = backupOf('cache', '2026-01-03', { keys: { db0: 40, db2: 2 }, totalKeys: 42 }, 1024);

describe('redis: a throwaway server, dump.rdb into the data folder, or a running server', () => {
  const walk = driver(redis, 'cache');
  const redisLoaded: RestoreAction = { type: 'loaded', entries: [redisBackup], warnings: [] };

  test('the choices: --to ephemeral without a drill in the plan (the drill target with one), --to-dir, --to a server', () => {
    expect(targetChoices(redis).map((c) => [c.kind, c.label])).toEqual([
      ['ephemeral', 'a throwaway redis-server (--to ephemeral), removed afterwards'],
      ['dataDir', "production: write dump.rdb into the server's data folder (type it)"],
      ['typed', 'a running server: type redis://HOST:PORT or env:NAME (full sync)'],
    ]);
    const drilled = { ...redis, drill: { target: 'ephemeral' } } as unknown as Component;
    expect(targetChoices(drilled).map((c) => [c.kind, c.label])[0]).toEqual(['drill', 'drill target: a throwaway redis-server, removed afterwards']);
  });

  test('--to ephemeral: no confirmation, no clean, and hooks are said to run', () => {
    let s = walk([redisLoaded, { type: 'next' }, { type: 'next' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'ephemeral', value: 'ephemeral' }, clean: false });
    s = walk([{ type: 'toggleClean' }], s);
    expect(s.clean).toBe(false);
    expect(walk([{ type: 'next' }], s).step).toBe('running');
    expect(restoreRequest(targetsOf(redis), s.target!, s.clean)).toEqual({ target: 'ephemeral', clean: false, yes: false, options: {} });
    expect(restorePlan(targetsOf(redis), { component: 'cache', backup: redisBackup, target: s.target!, clean: false })).toEqual([
      'run beforeRestore: docker compose stop redis',
      'load backup 2026-01-03 (1.0 KiB, from local) into a throwaway local redis-server started for this; no server of yours is touched',
      'compare the key counts recorded at backup time (40 keys in db0, 2 in db2)',
      'stop the throwaway server and remove it',
      'then, only if every check passes, run afterRestore: docker compose start redis',
    ]);
  });

  test('--to-dir: an absolute folder, an optional numeric owner, then the name typed; --yes replaces dump.rdb', () => {
    let s = walk([redisLoaded, { type: 'next' }, { type: 'move', by: 1 }, { type: 'next' }]);
    expect(s.step).toBe('typing');
    s = walk([{ type: 'next' }], s);
    expect(s.problem).toBe('type the folder the Redis server loads dump.rdb from, e.g. /var/lib/redis');
    s = walk([type('data/redis'), { type: 'next' }], s);
    expect(s.problem).toBe('type the folder as an absolute path, e.g. /var/lib/redis (you typed "data/redis")');
    s = walk([...erase('data/redis'.length), type('/srv/redis'), { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'typing', field: 1, target: { kind: 'dataDir', value: '/srv/redis' } });
    expect(restoreScopes(s)).toEqual(['text']);
    s = walk([type('redis'), { type: 'next' }], s);
    expect(s.problem).toBe('the owner is numeric UID:GID such as 999:999 (you typed "redis"); leave it empty to keep the replaced file\'s owner');
    s = walk([...erase('redis'.length), type('999:998'), { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'dataDir', value: '/srv/redis', owner: { uid: 999, gid: 998 } }, clean: false });
    // Nothing to clean in a file: dump.rdb replaces the whole dataset.
    expect(walk([{ type: 'toggleClean' }], s).clean).toBe(false);
    expect(restoreRequest(targetsOf(redis), s.target!, s.clean)).toEqual({ clean: false, yes: true, options: { toDir: '/srv/redis', owner: { uid: 999, gid: 998 } } });

    s = walk([{ type: 'next' }], s);
    expect(s.step).toBe('confirm');
    s = walk([type('cache'), { type: 'next' }], s);
    expect(s.step).toBe('running');
  });

  test('--to-dir: what will happen, with and without afterRestore hooks and owner', () => {
    const target = { kind: 'dataDir' as const, value: '/srv/redis' };
    expect(restorePlan(targetsOf(redis), { component: 'cache', backup: redisBackup, target, clean: false })).toEqual([
      'run beforeRestore: docker compose stop redis',
      'write backup 2026-01-03 (1.0 KiB, from local) to /srv/redis/dump.rdb atomically (a temporary file renamed over it), replacing the dump.rdb there if there is one — PRODUCTION, the data of the live cache',
      "dump.rdb keeps the owner of the file it replaces, else the folder's, when Lifeboat runs as root (otherwise it belongs to the user running Lifeboat); the mode of the file it replaces, else 0600",
      "check the written file: its CRC64, and the keys it holds against the backup's",
      'then, only if every check passes, run afterRestore: docker compose start redis',
      'then check the server at env:REDIS_URL: it must have started after dump.rdb was written and hold the keys the backup recorded (40 keys in db0, 2 in db2)',
    ]);
    const bare = { ...redis, hooks: { beforeRestore: [], afterRestore: [], beforeBackup: [], afterBackup: [] } } as unknown as Component;
    const lines = restorePlan(targetsOf(bare), { component: 'cache', backup: redisBackup, target: { ...target, owner: { uid: 999, gid: 999 } }, clean: false });
    expect(lines[0]).toBe('no beforeRestore hooks in the plan: stop the Redis that loads /srv/redis yourself first, or it writes its own data over dump.rdb when it stops');
    expect(lines[2]).toBe('dump.rdb belongs to 999:999 (--owner; giving it to another user needs Lifeboat to run as root), with the mode of the file it replaces, else 0600');
    expect(lines.at(-1)).toBe('no afterRestore hooks start a server on /srv/redis, so no server is checked afterwards');
  });

  test('--to a running server: empty unless clean (then --yes); the plan url is production, clean on, name typed', () => {
    const s = walk([redisLoaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }, type('redis://10.0.0.5:6390'), { type: 'next' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'typed', value: 'redis://10.0.0.5:6390' }, clean: false });
    expect(restoreRequest(targetsOf(redis), s.target!, s.clean)).toEqual({ target: 'redis://10.0.0.5:6390', clean: false, yes: false, options: {} });
    // Without clean the engine refuses a server that holds keys: nothing to confirm.
    expect(walk([{ type: 'next' }], s).step).toBe('running');

    const prod = walk([redisLoaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }, type('env:REDIS_URL'), { type: 'next' }]);
    expect(prod).toMatchObject({ target: { kind: 'production', value: 'env:REDIS_URL' }, clean: true });
    expect(walk([{ type: 'next' }], prod).step).toBe('confirm');
  });

  test('--to a running server with clean: the name is typed even when production is typed differently (a URL for env:REDIS_URL)', () => {
    let s = walk([redisLoaded, { type: 'next' }, { type: 'move', by: 2 }, { type: 'next' }, type('redis://prod:6379'), { type: 'next' }, { type: 'toggleClean' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'typed', value: 'redis://prod:6379' }, clean: true });
    expect(restoreRequest(targetsOf(redis), s.target!, s.clean)).toEqual({ target: 'redis://prod:6379', clean: true, yes: true, options: {} });
    expect(confirmPrompt(targetsOf(redis), s.target!)).toBe('Clean is on: this replaces what redis://prod:6379 holds, which may be production.');
    s = walk([{ type: 'next' }], s);
    expect(s.step).toBe('confirm');
    s = walk([type('cahce'), { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'confirm', problem: 'type cache exactly to replace what redis://prod:6379 holds (you typed "cahce")' });
    // Back to the review and clean off again: nothing is replaced, so nothing to confirm.
    const off = walk([{ type: 'back' }, { type: 'toggleClean' }], s);
    expect(off).toMatchObject({ step: 'review', clean: false, confirmText: '' });
    expect(walk([{ type: 'next' }], off).step).toBe('running');
    s = walk([...erase(5), type('cache'), { type: 'next' }], s);
    expect(s.step).toBe('running');
  });

  test('--to a running server: what loading it over replication does to it', () => {
    const target = { kind: 'typed' as const, value: 'redis://10.0.0.5:6390' };
    const plan = (clean: boolean) => restorePlan(targetsOf(redis), { component: 'cache', backup: redisBackup, target, clean });
    expect(plan(true)).toEqual([
      'run beforeRestore: docker compose stop redis',
      'load backup 2026-01-03 (1.0 KiB, from local) into the running server redis://10.0.0.5:6390 over replication',
      "clean is ON: the full sync replaces the server's whole dataset, every key in every database, with the backup's (all its data is lost)",
      'the server becomes a replica of Lifeboat for one full sync (REPLICAOF this host on a random port), then a master again (REPLICAOF NO ONE); meanwhile it refuses writes (replica-read-only, the default) and answers LOADING while it loads',
      'it must be able to connect back to this host on that port, at the address it sees Lifeboat at: a firewall, or a server in another network or container, makes the sync fail',
      'its masterauth is set to a one-time token for the sync, so only it can take the data from that port, and its own value is put back afterwards',
      'a sync that fails halfway still makes it a master again with its own masterauth, but can leave its dataset empty or partial',
      "check the RDB's CRC64 before anything reaches the server, then compare the key counts recorded at backup time (40 keys in db0, 2 in db2)",
      'then, only if every check passes, run afterRestore: docker compose start redis',
    ]);
    expect(plan(false)[2]).toBe('clean is off: a server that already holds keys is refused, nothing is replaced');
    expect(plan(false).slice(3, 7)).toEqual(plan(true).slice(3, 7));
    const prod = restorePlan(targetsOf(redis), { component: 'cache', backup: redisBackup, target: { kind: 'production', value: 'env:REDIS_URL' }, clean: true });
    expect(prod[1]).toBe('load backup 2026-01-03 (1.0 KiB, from local) into the running server env:REDIS_URL over replication — PRODUCTION, the live cache');
  });
});

const files = {
  name: 'config',
  type: 'files',
  paths: ['/etc/nginx', { path: '/opt/app/.env', optional: true }, '/etc/cron.d/app-*'],
  hooks: { beforeRestore: [], afterRestore: ['systemctl reload nginx'], beforeBackup: [], afterBackup: [] },
  destinations: ['local'],
} as unknown as Component;

const filesBackup = backupOf('config', '2026-01-04', { paths: ['/etc/nginx', '/opt/app/.env'], files: 7, bytes: 3072, directories: 2, symlinks: 1 }, 2048);

describe('files: into a folder, or in place over the originals', () => {
  const walk = driver(files, 'config');
  const filesLoaded: RestoreAction = { type: 'loaded', entries: [filesBackup], warnings: [] };

  test('the choices: the drill target when the plan has one, in place, or a folder', () => {
    expect(targetChoices(files).map((c) => [c.kind, c.label])).toEqual([
      ['inPlace', 'production: over the original paths (/etc/nginx, /opt/app/.env, …)'],
      ['typed', 'type a folder to restore into (made if missing)'],
    ]);
    const kept = { ...files, drill: { target: '/srv/drill' } } as unknown as Component;
    expect(targetChoices(kept)[0]!.label).toBe('drill target: the folder /srv/drill, left for inspection');
    const lines = restorePlan(targetsOf(kept), { component: 'config', backup: filesBackup, target: { kind: 'drill', value: '/srv/drill' }, clean: false });
    expect(lines[0]).toBe('restore backup 2026-01-04 (2.0 KiB, from local) into the drill target: the folder /srv/drill; never production');
    expect(lines[3]).toBe('leave the folder for inspection; the run goes into the journal as a drill with its RTO actual');
  });

  test('in place: the paths the backup recorded are named, the component name must be typed, --in-place --yes', () => {
    let s = walk([filesLoaded, { type: 'next' }, { type: 'next' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'inPlace' }, clean: false });
    expect(walk([{ type: 'toggleClean' }], s).clean).toBe(false);
    expect(restoreRequest(targetsOf(files), s.target!, s.clean)).toEqual({ clean: false, yes: true, options: { inPlace: true } });
    expect(restorePlan(targetsOf(files), { component: 'config', backup: filesBackup, target: s.target!, clean: false })).toEqual([
      'no beforeRestore hooks in the plan',
      'overwrite the original paths with backup 2026-01-04 (2.0 KiB, from local): /etc/nginx, /opt/app/.env — PRODUCTION, the live config',
      'the archive is downloaded and verified first, so a damaged backup touches nothing; files there now that the backup does not hold are left alone',
      'compare what is on disk with what the backup recorded (7 files, 3.0 KiB, 2 folders, 1 symlinks)',
      'then, only if every check passes, run afterRestore: systemctl reload nginx',
    ]);
    s = walk([{ type: 'next' }], s);
    expect(s.step).toBe('confirm');
    s = walk([type('conifg'), { type: 'next' }], s);
    expect(s.problem).toBe('type config exactly to restore over production (you typed "conifg")');
  });

  test('a folder: absolute, --to DIR without --yes (a folder holding any of the paths is refused)', () => {
    const s = walk([filesLoaded, { type: 'next' }, { type: 'move', by: 1 }, { type: 'next' }, type('/tmp/restored'), { type: 'next' }]);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'typed', value: '/tmp/restored' }, clean: false });
    expect(restoreRequest(targetsOf(files), s.target!, s.clean)).toEqual({ target: '/tmp/restored', clean: false, yes: false, options: {} });
    expect(walk([{ type: 'next' }], s).step).toBe('running');
    expect(restorePlan(targetsOf(files), { component: 'config', backup: filesBackup, target: s.target!, clean: false }).slice(1, 3)).toEqual([
      'extract backup 2026-01-04 (2.0 KiB, from local) into /tmp/restored (made if missing), each file under its original path (e.g. /tmp/restored/etc/nginx)',
      "nothing is overwritten: if the folder already holds any of the backup's paths, the restore is refused",
    ]);
  });
});

const pitr = { ...component, pitr: { baseBackups: '0 2 * * 0', walRpo: 300_000 } } as unknown as Component;
const baseBackup = backupOf('database', '2026-01-01T02', { tables: { users: 3 }, baseBackup: { timeline: 1 } }, 4096);

describe('postgres with pitr: to a point in time', () => {
  const walk = driver(pitr, 'database');
  const pointLoaded: RestoreAction = { type: 'loaded', entries: [baseBackup, entry('2026-01-02')], warnings: [] };
  const chosenBy = ['restore to time 2026-01-01T12:00:00.000Z: base backup 2026-01-01T02 (ended …), then WAL A … B (2 file(s), all in the archive)'];
  /** The point choices' index in the target list. */
  const at = (kind: string) => targetChoices(pitr).findIndex((c) => c.kind === kind);

  test('offered only for a component with pitr:, after the dump targets', () => {
    expect(targetChoices(pitr).map((c) => c.kind)).toEqual(['drill', 'production', 'typed', 'point', 'point-dir', 'tables', 'tables-copy']);
    expect(targetChoices(component).map((c) => c.kind)).not.toContain('point');
  });

  test('into a throwaway server: the time is read with the CLI’s parser (a zone is required), or latest; the engine chooses the backup before the review', () => {
    let s = walk([pointLoaded, { type: 'next' }, { type: 'move', by: at('point') }, { type: 'next' }]);
    expect(s).toMatchObject({ step: 'typing', field: 0 });
    s = walk([type('2026-01-01 12:00:00'), { type: 'next' }], s);
    expect(s.problem).toBe('--to-time "2026-01-01 12:00:00" is not a time with a zone; expected such as "2026-02-14 12:00:00+00" or 2026-02-14T12:00:00Z (the zone is required)');
    expect(s.step).toBe('typing');
    s = walk([type('+00'), { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'point', value: '2026-01-01 12:00:00+00' }, preview: { seq: 1, status: 'checking' } });
    // Nothing goes on before the engine has answered; an answer to an older question is dropped.
    expect(walk([{ type: 'next' }], s)).toMatchObject({ step: 'review', problem: 'still checking the backups and the WAL archive' });
    expect(walk([{ type: 'previewed', seq: 0, backup: baseBackup, lines: chosenBy }], s).preview?.status).toBe('checking');
    s = walk([{ type: 'previewed', seq: 1, backup: baseBackup, lines: chosenBy }], s);
    // The engine's choice, not the newest backup the list had selected.
    expect(chosenBackup(s)?.id).toBe('2026-01-02');
    expect(restoredBackup(s)?.id).toBe('2026-01-01T02');
    expect(restoreRequest(targetsOf(pitr), s.target!, s.clean)).toEqual({ target: 'ephemeral', clean: false, yes: false, options: { toTime: '2026-01-01 12:00:00+00' } });
    expect(needsConfirmation(targetsOf(pitr), s.target!, s.clean)).toBe(false);
    expect(walk([{ type: 'toggleClean' }], s).clean).toBe(false);
    expect(restorePlan(targetsOf(pitr), { component: 'database', backup: restoredBackup(s)!, target: s.target!, clean: false, chosenBy })).toEqual([
      'no hooks run: a throwaway server replaces nothing, the services stay up',
      chosenBy[0],
      "lay backup 2026-01-01T02 (4.0 KiB, from local) out in a throwaway data directory, check it with pg_verifybackup, and recover it to time 2026-01-01T12:00:00.000Z (restore_command = lifeboat wal get: every WAL file's hash is checked before PostgreSQL gets it)",
      "report where recovery stopped and the row counts of verify.tables at the point (not compared: they differ from the backup's by design)",
      'stop the throwaway server and remove it',
    ]);
    expect(walk([{ type: 'next' }], s).step).toBe('running');

    const latest = walk([pointLoaded, { type: 'next' }, { type: 'move', by: at('point') }, { type: 'next' }, type('latest'), { type: 'next' }]);
    expect(restoreRequest(targetsOf(pitr), latest.target!, false).options).toEqual({ toLatest: true });
    expect(headline(targetsOf(pitr), latest.target!)).toBe('restore to the end of the WAL archive into a throwaway server');
  });

  test('a point the archive cannot reach: the engine’s sentence, and the restore cannot start; esc goes back and forgets it', () => {
    let s = walk([pointLoaded, { type: 'next' }, { type: 'move', by: at('point') }, { type: 'next' }, type('2099-01-01 00:00:00Z'), { type: 'next' }]);
    const sentence = 'time 2099-01-01T00:00:00.000Z is after the end of the WAL archive of database: its newest segment is …';
    s = walk([{ type: 'refused', seq: 1, error: sentence }], s);
    expect(s.preview).toEqual({ seq: 1, status: 'refused', error: sentence });
    expect(restoredBackup(s)).toBeUndefined();
    expect(walk([{ type: 'next' }], s)).toMatchObject({ step: 'review', problem: 'this restore would be refused (above); esc to change the point or the target' });
    const back = walk([{ type: 'back' }], s);
    expect(back.step).toBe('target');
    expect(back.preview).toBeUndefined();
    // Typed again: a new question, the old answer does not count.
    s = walk([{ type: 'next' }, { type: 'next' }], back);
    expect(s).toMatchObject({ step: 'review', target: { value: '2099-01-01 00:00:00Z' }, preview: { seq: 2, status: 'checking' } });
    expect(walk([{ type: 'previewed', seq: 1, backup: baseBackup, lines: [] }], s).preview?.status).toBe('checking');
  });

  test('into a data directory: absolute folder, optional owner, the name always typed, clean asks the engine again and empties the folder', () => {
    let s = walk([pointLoaded, { type: 'next' }, { type: 'move', by: at('point-dir') }, { type: 'next' }, type('latest'), { type: 'next' }]);
    expect(s).toMatchObject({ step: 'typing', field: 1, target: { kind: 'point-dir', value: 'latest' } });
    s = walk([type('pgdata'), { type: 'next' }], s);
    expect(s.problem).toBe('type the folder as an absolute path, e.g. /var/lib/postgresql/15/main (you typed "pgdata")');
    s = walk([...erase(6), type('/srv/pg/main'), { type: 'next' }, { type: 'next' }], s);
    expect(s).toMatchObject({ step: 'review', target: { kind: 'point-dir', value: 'latest', toDir: '/srv/pg/main' }, clean: false, preview: { seq: 1 } });
    expect(restoreRequest(targetsOf(pitr), s.target!, s.clean)).toEqual({ clean: false, yes: true, options: { toLatest: true, toDir: '/srv/pg/main' } });
    expect(headline(targetsOf(pitr), s.target!)).toBe('restore to the end of the WAL archive into the data directory /srv/pg/main');
    const refused = walk([{ type: 'refused', seq: 1, error: '--to-dir /srv/pg/main is not empty (1 entries, such as PG_VERSION); pass --clean --yes to delete what it holds, or name a new folder' }], s);
    // Clean on: the request changed, so the engine is asked again.
    s = walk([{ type: 'toggleClean' }], refused);
    expect(s).toMatchObject({ clean: true, preview: { seq: 2, status: 'checking' } });
    expect(restoreRequest(targetsOf(pitr), s.target!, s.clean)).toEqual({ clean: true, yes: true, options: { toLatest: true, toDir: '/srv/pg/main' } });
    const lines = restorePlan(targetsOf(pitr), { component: 'database', backup: baseBackup, target: s.target!, clean: true, chosenBy });
    expect(lines.slice(0, 3)).toEqual(['run beforeRestore: docker-compose stop backend', chosenBy[0], 'clean is ON: EMPTY /srv/pg/main first (all it holds is lost)']);
    expect(lines.at(-1)).toBe('then, only if every check passes, run afterRestore: docker-compose up -d');
    s = walk([{ type: 'previewed', seq: 2, backup: baseBackup, lines: chosenBy }, { type: 'next' }], s);
    expect(s.step).toBe('confirm');
    s = walk([type('databse'), { type: 'next' }], s);
    expect(s.problem).toBe('type database exactly to recover into the data directory (you typed "databse")');
    s = walk([...erase(7), type('database'), { type: 'next' }], s);
    expect(s.step).toBe('running');
    // Owner typed: numeric, into --owner.
    const owned = walk([pointLoaded, { type: 'next' }, { type: 'move', by: at('point-dir') }, { type: 'next' }, type('latest'), { type: 'next' }, type('/srv/pg/main'), { type: 'next' }, type('999:999'), { type: 'next' }]);
    expect(restoreRequest(targetsOf(pitr), owned.target!, false).options).toEqual({ toLatest: true, toDir: '/srv/pg/main', owner: { uid: 999, gid: 999 } });
  });
});
