import { afterEach } from 'vitest';
import { readCatalog } from '@lifeboat/core';
import { describe, expect, test } from '@lifeboat/testkit';
import { demoRepo, psql, ROWS, type DemoRepo } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';

let repo: DemoRepo | undefined;
let app: RenderedApp | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  app?.unmount();
  for (const c of cleanups.splice(0)) await c();
  await repo?.cleanup();
  app = repo = undefined;
});

const counts = async (r: DemoRepo, database: { env: Record<string, string> }) =>
  psql(r.env, database, 'SELECT (SELECT count(*) FROM cities) || \',\' || (SELECT count(*) FROM users) || \',\' || (SELECT count(*) FROM questions)');

describe('restore wizard', () => {
  test('into a typed target: what will happen, live progress, the row-count checks, and the rows are there', async ({ pg }) => {
    repo = await demoRepo(pg);
    const target = await pg.createDatabase();
    cleanups.push(() => target.drop());
    repo.env.RESTORE_URL = repo.urlOf(target.name);
    const [latest] = (await readCatalog(repo.plan, repo.registry, { component: 'database' })).slice(-1);

    app = renderApp(repo.services);
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
    await psql(repo.env, repo.source, 'DELETE FROM questions WHERE id > 100');
    expect(await counts(repo, repo.source)).toBe(`${ROWS.cities},${ROWS.users},100`);

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
    app.press('databse', KEY.enter);
    await app.see('! type database exactly to restore over production (you typed "databse")');
    expect(await counts(repo, repo.source)).toBe(`${ROWS.cities},${ROWS.users},100`);
    for (let i = 0; i < 3; i++) app.press(KEY.backspace);
    app.press('base', KEY.enter);

    const done = await app.see('restore of database — ✓ done', 30_000);
    expect(done).toContain('dropping database');
    expect(done).toMatch(new RegExp(`rows in questions\\s+${ROWS.questions}\\s+${ROWS.questions}\\s+✓ match`));
    expect(await counts(repo, repo.source)).toBe(`${ROWS.cities},${ROWS.users},${ROWS.questions}`);
    app.press(KEY.esc);
    await app.see('Backups');
  });

  test('into the drill target: a throwaway server, checked and removed, recorded as a drill', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('r');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see('2/4 pick a target');
    app.press(KEY.enter);
    await app.seeWrapped('1. restore backup');
    await app.seeWrapped('into the drill target: a throwaway server started for this; never production');
    await app.seeWrapped('5. no hooks run: a drill leaves the services alone');
    // Clean means nothing for a scratch target, so c does nothing here.
    expect(app.frame()).not.toContain('c: toggle clean');
    app.press(KEY.enter);
    const done = await app.see('restore of database into the drill target — ✓ done', 60_000);
    expect(done).toContain('starting a throwaway PostgreSQL for the drill');
    expect(done).toMatch(/creating database lifeboat_drill_[0-9a-f]+/);
    expect(done).toMatch(new RegExp(`rows in users\\s+${ROWS.users}\\s+${ROWS.users}\\s+✓ match`));
    expect(done).toMatch(/✓ RTO: restored in/);
  });

  test('esc walks back through the steps and out', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('r');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see('2/4 pick a target');
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
