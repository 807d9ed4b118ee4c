import { readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { readCatalog } from '@lifeboat/core';
import { describe, expect, test } from '@lifeboat/testkit';
import { APP_FILES, filesRepo, redisRepo, type ComponentRepo } from '../../test/component-repo.js';
import { liveRedis } from '../../test/live-redis.js';
import { demoRepo, psql, ROWS, type DemoRepo } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';
import type { TuiServices } from '../../services.js';

let repo: DemoRepo | undefined;
let app: RenderedApp | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  app?.unmount();
  for (const c of cleanups.splice(0)) await c();
  await repo?.cleanup();
  app = repo = undefined;
});

/** The dashboard, `r`, then enter on the newest backup: the wizard where the target is picked. */
async function targetStep(services: TuiServices, screen?: { rows: number }): Promise<RenderedApp> {
  // Kept in `app` at once, so that afterEach unmounts it even when a wait here fails.
  const shown = (app = renderApp(services, screen));
  await shown.see('mirror ✓ answers');
  shown.press('r');
  await shown.see(/1\/4 pick a backup\n› \d{8}T/);
  shown.press(KEY.enter);
  await shown.see('2/4 pick a target');
  return shown;
}

/** From the review of a restore over production: enter, type the component's name, and wait until the run is done. */
async function confirmAndRun(shown: RenderedApp, component: string): Promise<string> {
  shown.press(KEY.enter);
  await shown.see(`This restores over production. Type ${component} to confirm:`);
  shown.press(component, KEY.enter);
  return shown.see(`restore of ${component} — ✓ done`, 60_000);
}

const counts = async (r: DemoRepo, database: { env: Record<string, string> }) =>
  psql(r.env, database, 'SELECT (SELECT count(*) FROM cities) || \',\' || (SELECT count(*) FROM users) || \',\' || (SELECT count(*) FROM questions)');

/** The accident a restore over the source database repairs. */
async function accident(r: DemoRepo): Promise<void> {
  await psql(r.env, r.source, 'DELETE FROM questions WHERE id > 100');
  expect(await counts(r, r.source)).toBe(`${ROWS.cities},${ROWS.users},100`);
}

/** At the confirm step of a clean restore over the source database: a typo is refused and touches nothing, the name runs it, the rows come back. */
async function misspellThenConfirm(shown: RenderedApp, r: DemoRepo, purpose: string): Promise<string> {
  shown.press('databse', KEY.enter);
  await shown.seeWrapped(`! type database exactly to ${purpose} (you typed "databse")`);
  expect(await counts(r, r.source)).toBe(`${ROWS.cities},${ROWS.users},100`);
  for (let i = 0; i < 3; i++) shown.press(KEY.backspace);
  shown.press('base', KEY.enter);
  const done = await shown.see('restore of database — ✓ done', 30_000);
  expect(done).toMatch(/dropping the previous database \(\w+_lifeboat_old_[0-9a-f]+\)/);
  expect(await counts(r, r.source)).toBe(`${ROWS.cities},${ROWS.users},${ROWS.questions}`);
  return done;
}

describe('restore wizard', () => {
  test('into a typed target: what will happen, live progress, the row-count checks, and the rows are there', async ({ pg }) => {
    repo = await demoRepo(pg);
    const target = await pg.createDatabase();
    cleanups.push(() => target.drop());
    repo.env.RESTORE_URL = repo.urlOf(target.name);
    const [latest] = (await readCatalog(repo.plan, repo.registry, { component: 'database' })).slice(-1);

    app = renderApp(repo.services, { rows: 30 }); // room for the whole run log: both hooks and the row-count timing line
    await app.see('mirror ✓ answers');
    app.press('r');
    await app.see(`› ${latest!.id}`);
    expect(app.frame()).toContain('Restore database · 1/4 pick a backup');
    app.press(KEY.enter);
    await app.see('2/4 pick a target');
    expect(app.frame()).toContain('drill target: a throwaway server, removed afterwards');
    expect(app.frame()).toContain("production: env:TUI_DATABASE_URL (the component's own)");
    app.press(KEY.down, KEY.down, KEY.enter);
    await app.see('2/4 type a target');
    app.press('env:RESTORE_URLX', KEY.backspace);
    await app.see('target: env:RESTORE_URL\n');
    app.press(KEY.enter);
    const review = await app.see('3/4 what will happen');
    expect(review).toContain('restore into env:RESTORE_URL');
    expect(review).toContain('1. run beforeRestore: echo stopping the services');
    await app.seeWrapped(`2. restore backup ${latest!.id}`);
    await app.seeWrapped('3. clean is off: a database that already holds tables is refused, nothing is dropped');
    await app.seeWrapped('4. compare the row counts recorded at backup time (cities, users, questions)');
    await app.seeWrapped('5. then, only if every check passes, run afterRestore: echo starting the services');
    app.press(KEY.enter);

    const done = await app.see('restore of database — ✓ done', 30_000);
    expect(done).toContain('Restore database · 4/4 result');
    expect(done).toMatch(new RegExp(`rows in cities\\s+${ROWS.cities}\\s+${ROWS.cities}\\s+✓ match`));
    expect(done).toMatch(new RegExp(`rows in users\\s+${ROWS.users}\\s+${ROWS.users}\\s+✓ match`));
    expect(done).toMatch(new RegExp(`rows in questions\\s+${ROWS.questions}\\s+${ROWS.questions}\\s+✓ match`));
    expect(done).toContain('stopping the services');
    expect(done).toContain('starting the services');
    expect(await counts(repo, target)).toBe(`${ROWS.cities},${ROWS.users},${ROWS.questions}`);

    app.press(KEY.enter);
    await app.see('Dashboard');
  });

  test('over production (after an accidental delete): clean is on, the name must be typed exactly, and the rows come back', async ({ pg }) => {
    repo = await demoRepo(pg);
    await accident(repo);

    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    // From the backup browser: the backup is chosen there.
    app.press(KEY.enter);
    await app.see('sha256');
    app.press('r');
    await app.see('2/4 pick a target');
    app.press(KEY.down, KEY.enter);
    const review = await app.see('PRODUCTION restore into env:TUI_DATABASE_URL');
    expect(review).toContain('3/4 what will happen');
    await app.seeWrapped('— PRODUCTION, the live database');
    await app.seeWrapped('3. clean is ON: if the database holds tables, DROP it and create it again (all its data is lost)');
    app.press(KEY.enter);
    await app.see('This restores over production. Type database to confirm:');
    expect(app.frame().split('\n').at(-1)).toBe('enter accept  esc cancel');
    const done = await misspellThenConfirm(app, repo, 'restore over production');
    expect(done).toMatch(new RegExp(`rows in questions\\s+${ROWS.questions}\\s+${ROWS.questions}\\s+✓ match`));
    app.press(KEY.esc);
    await app.see('Backups');
  });

  test('production typed under another name with clean on: the name is asked before anything is dropped', async ({ pg }) => {
    repo = await demoRepo(pg);
    await accident(repo);
    // The same database as env:TUI_DATABASE_URL, which the wizard cannot tell.
    repo.env.SAME_DATABASE_URL = repo.urlOf(repo.source.name);
    app = await targetStep(repo.services);
    app.press(KEY.down, KEY.down, KEY.enter);
    await app.see('2/4 type a target');
    app.press('env:SAME_DATABASE_URL', KEY.enter);
    await app.see('restore into env:SAME_DATABASE_URL');
    await app.seeWrapped('enter: start the restore · c: toggle clean');
    app.press('c');
    await app.seeWrapped('3. clean is ON: if the database holds tables, DROP it and create it again (all its data is lost)');
    await app.seeWrapped('enter: go on to confirm · c: toggle clean');
    app.press(KEY.enter);
    await app.seeWrapped('Clean is on: this replaces what env:SAME_DATABASE_URL holds, which may be production. Type database to confirm:');
    await misspellThenConfirm(app, repo, 'replace what env:SAME_DATABASE_URL holds');
  });

  test('into the drill target: a throwaway server, checked and removed, recorded as a drill', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = await targetStep(repo.services);
    app.press(KEY.enter);
    await app.seeWrapped('1. restore backup');
    await app.seeWrapped('into the drill target: a throwaway server started for this; never production');
    await app.seeWrapped('5. no hooks run: a drill leaves the services alone');
    // Clean means nothing for a scratch target, so c does nothing here.
    expect(app.frame()).not.toContain('c: toggle clean');
    app.press(KEY.enter);
    const done = await app.see('restore of database into the drill target — ✓ done', 60_000);
    expect(done).toMatch(/renamed lifeboat_drill_[0-9a-f]+_lifeboat_restore_[0-9a-f]+ to lifeboat_drill/);
    expect(done).toMatch(/restored backup \S+ into postgres:\/\/postgres@127\.0\.0\.1:/);
    expect(done).toMatch(new RegExp(`rows in users\\s+${ROWS.users}\\s+${ROWS.users}\\s+✓ match`));
    expect(done).toMatch(/✓ RTO: restored in/);
  });

  test('esc walks back through the steps and out', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = await targetStep(repo.services);
    app.press(KEY.enter);
    await app.see('3/4 what will happen');
    app.press(KEY.esc);
    await app.see('2/4 pick a target');
    app.press(KEY.esc);
    await app.see('1/4 pick a backup');
    app.press(KEY.esc);
    await app.see('Dashboard');
  });
});

describe('restore wizard, files and redis', () => {
  let other: ComponentRepo | undefined;
  afterEach(async () => {
    await other?.cleanup();
    other = undefined;
  });
  const latestId = async (r: ComponentRepo, component: string) => (await readCatalog(r.plan, r.registry, { component })).at(-1)!.id;

  test('files into a folder: typed (absolute), what will happen, the counts checked, and the files are there', async () => {
    const files = await filesRepo({ afterRestore: ['echo reloading the app'] });
    other = files;
    const id = await latestId(files, 'config');
    app = await targetStep(files.services);
    expect(app.frame()).toContain('› production: over the original paths (./live/app)');
    expect(app.frame()).toContain('  type a folder to restore into (made if missing)');
    app.press(KEY.down, KEY.enter);
    await app.see('folder:  \n');
    app.press('restored', KEY.enter);
    await app.see('! type the folder as an absolute path, e.g. /tmp/restored (you typed "restored")');
    for (let i = 0; i < 'restored'.length; i++) app.press(KEY.backspace);
    const into = join(files.dir, 'restored');
    app.press(into, KEY.enter);
    const review = await app.see('3/4 what will happen');
    expect(review).toContain(`restore into ${into}`);
    expect(review).toContain('1. no beforeRestore hooks in the plan');
    await app.seeWrapped(`2. extract backup ${id}`);
    await app.seeWrapped("3. nothing is overwritten: if the folder already holds any of the backup's paths, the restore is refused");
    await app.seeWrapped('4. compare what is on disk with what the backup recorded (2 files, 45 B,');
    await app.seeWrapped('5. then, only if every check passes, run afterRestore: echo reloading the app');
    expect(app.frame()).not.toContain('c: toggle clean');
    expect(app.frame().split('\n').at(-1)).toBe('enter start  ? keys  esc back  q quit');
    app.press(KEY.enter);

    const done = await app.see('restore of config — ✓ done', 30_000);
    expect(done).toMatch(/files restored\s+2\s+2\s+✓ match/);
    expect(done).toMatch(/symlinks restored\s+1\s+1\s+✓ match/);
    expect(done).toContain('reloading the app');
    // Each file under its original path, inside the folder.
    const restored = join(into, files.app);
    for (const [name, text] of Object.entries(APP_FILES)) expect(await readFile(join(restored, name), 'utf8')).toBe(text);
    expect(await readlink(join(restored, 'ssl', 'current'))).toBe('cert.pem');
  });

  test('files in place: over the original paths only after the name is typed, and the files come back', async () => {
    const files = await filesRepo();
    other = files;
    await writeFile(join(files.app, 'app.conf'), 'listen 9999 # a bad edit\n');
    await rm(join(files.app, 'ssl', 'cert.pem'));
    app = await targetStep(files.services);
    app.press(KEY.enter);
    await app.see('PRODUCTION restore over the original paths');
    await app.seeWrapped('— PRODUCTION, the live config');
    await app.seeWrapped('3. the archive is downloaded and verified first, so a damaged backup touches nothing');
    await confirmAndRun(app, 'config');
    for (const [name, text] of Object.entries(APP_FILES)) expect(await readFile(join(files.app, name), 'utf8')).toBe(text);
  });

  test('redis --to ephemeral: a throwaway redis-server loads the backup, its key counts are checked', async ({ freshRedis }) => {
    for (let i = 0; i < 6; i++) await freshRedis.command('SET', `key:${i}`, `value ${i}`);
    await freshRedis.command('MOVE', 'key:5', '1');
    const auth = `redis://:${encodeURIComponent(freshRedis.password)}@${freshRedis.url.slice('redis://'.length)}`;
    const cache = await redisRepo({ REDIS_URL: auth });
    other = cache;
    app = await targetStep(cache.services);
    expect(app.frame()).toContain('› a throwaway redis-server (--to ephemeral), removed afterwards');
    expect(app.frame()).toContain("  production: write dump.rdb into the server's data folder (type it)");
    expect(app.frame()).toContain('  a running server: type redis://HOST:PORT or env:NAME (full sync)');
    app.press(KEY.enter);
    await app.see('restore into a throwaway redis-server');
    await app.seeWrapped('2. load backup');
    await app.seeWrapped('into a throwaway local redis-server started for this; no server of yours is touched');
    await app.seeWrapped('3. compare the key counts recorded at backup time (5 keys in db0, 1 in db1)');
    app.press(KEY.enter);
    const done = await app.see('restore of cache — ✓ done', 60_000);
    expect(done).toMatch(/keys in db0\s+5\s+5\s+✓ match/);
    expect(done).toMatch(/keys in db1\s+1\s+1\s+✓ match/);
  });

  test('redis --to-dir: the hooks stop the server, dump.rdb is written, the server restarts with the backup’s keys', async () => {
    const live = await liveRedis();
    cleanups.push(() => live.cleanup());
    for (let i = 0; i < 3; i++) await live.command('SET', `session:${i}`, 'x');
    const cache = await redisRepo({ REDIS_URL: live.url }, { beforeRestore: [live.stop], afterRestore: [live.start] });
    other = cache;
    // The live data changes after the backup; the restore must bring back the backup's.
    await live.command('FLUSHALL');
    await live.command('SET', 'written-after-the-backup', 'x');

    // Room for the steps however long the folder's path is (it is in the test run's TMPDIR) and the confirmation below them.
    app = await targetStep(cache.services, { rows: 30 });
    app.press(KEY.down, KEY.enter);
    await app.see('data folder:  \n');
    app.press(live.dir, KEY.enter);
    await app.see('2/4 owner of dump.rdb');
    app.press('999', KEY.enter);
    await app.see('! the owner is numeric UID:GID such as 999:999 (you typed "999")');
    for (let i = 0; i < 3; i++) app.press(KEY.backspace);
    // Empty: the file keeps the owner of the one it replaces.
    app.press(KEY.enter);
    // The title line is cut to the screen's width; the folder is whole in step 2.
    await app.see('PRODUCTION restore: dump.rdb into ');
    await app.seeWrapped(`to ${join(live.dir, 'dump.rdb')} atomically`);
    await app.seeWrapped(`1. run beforeRestore: ${live.stop}`);
    await app.seeWrapped('replacing the dump.rdb there if there is one — PRODUCTION, the data of the live cache');
    await app.seeWrapped('3. dump.rdb keeps the owner of the file it replaces');
    await app.seeWrapped('6. then check the server at env:REDIS_URL: it must have started after dump.rdb was written and hold the keys the backup recorded (3 keys in db0)');
    const done = await confirmAndRun(app, 'cache');
    expect(done).toMatch(/keys in dump\.rdb\s+3\s+3\s+✓ match/);
    // Done means the live check passed too: the restarted server holds the backup's keys.
    expect(done).toContain(`checked ${live.url} after the afterRestore hooks`);
    await live.answers();
    expect(await live.command('DBSIZE')).toBe(3);
    expect(await live.command('EXISTS', 'written-after-the-backup')).toBe(0);
  });
});
