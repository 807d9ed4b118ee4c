import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { readCatalog, readJournal } from '@lifeboat/core';
import { describe, expect, test } from '@lifeboat/testkit';
import { demoRepo, ROWS, type DemoRepo } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';
import { heldFs } from '../../test/storage.js';

let repo: DemoRepo | undefined;
let app: RenderedApp | undefined;
afterEach(async () => {
  app?.unmount();
  await repo?.cleanup();
  app = repo = undefined;
});

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('live run', () => {
  test('b backs up the selected component: a bar per destination, the steps, and a summary; then v verifies every copy', async ({ pg }) => {
    repo = await demoRepo(pg);
    const before = await readCatalog(repo.plan, repo.registry, { component: 'database' });
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('b');
    const done = await app.see('backup of database — ✓ done', 30_000);
    expect(done).toContain('plan tui-test · Live run');
    expect(done).toMatch(/database\.dump ✓ stored/);
    expect(done).toMatch(/ {2}primary +█{10,} +\d+\.\d KiB/);
    expect(done).toMatch(/ {2}mirror +█{10,} +\d+\.\d KiB/);
    expect(done).toMatch(/step: /);
    const after = await readCatalog(repo.plan, repo.registry, { component: 'database' });
    expect(after).toHaveLength(before.length + 1);
    expect(done).toContain(`✓ committed backup ${after.at(-1)!.id}`);
    expect(done).toContain('finished: ok (exit 0)');

    app.press(KEY.esc);
    await app.see('Dashboard');
    app.press('v');
    const verified = await app.see('verify of database — ✓ done', 30_000);
    for (const backup of after) {
      expect(verified).toContain(`verified ${backup.id} in primary: sizes and sha256 match`);
      expect(verified).toContain(`verified ${backup.id} in mirror: sizes and sha256 match`);
    }
    app.press(KEY.esc);
    await app.see(/never verified|last verify \S+ ago: intact/);
    await app.see('last verify');
  });

  test('d runs a timed drill into a throwaway server: the checks, the RTO actual, and the dashboard then shows it', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('d');
    const done = await app.see('drill of database — ✓ done', 60_000);
    expect(done).toMatch(/rows in users\s+120\s+120\s+✓ match/);
    expect(done).toMatch(new RegExp(`rows in questions\\s+${ROWS.questions}\\s+${ROWS.questions}\\s+✓ match`));
    expect(done).toMatch(/✓ RTO: restored in \S+ \(target 4h\)/);
    app.press(KEY.esc);
    await app.see(/database\s+postgres\s+.*\s+\d+(ms|s)\/4h ✓/);
    const journal = await readJournal(repo.plan, repo.registry);
    expect(journal.at(-1)).toMatchObject({ operation: 'drill', exitCode: 0 });
  });

  test('c cancels after asking; the engine removes the partial backup and nothing is committed', async ({ pg }) => {
    const control = { holding: false, held: 0 };
    repo = await demoRepo(pg, {
      storage: [heldFs(control)],
      destinations: '  primary: { type: held-fs, path: ./repo/primary }\n  mirror: { type: held-fs, path: ./repo/mirror }',
    });
    const before = await readCatalog(repo.plan, repo.registry, { component: 'database' });
    const filesBefore = await files(join(repo.dir, 'repo'));
    control.holding = true;
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('b');
    await app.see('backup of database — running');
    await expect.poll(() => control.held, { timeout: 20_000 }).toBe(2);

    // q does not walk away from a run.
    app.press('q');
    await app.see('backup of database is running; c cancels it, then q quits');
    app.press(KEY.ctrlC);
    await app.see('backup of database is running; c cancels it (ctrl+c again: cancel and quit)');
    expect(app.exits).toEqual([]);

    // esc, like c, only asks whether to cancel.
    for (const key of [KEY.esc, 'c']) {
      app.press(key);
      await app.seeWrapped('Cancel backup of database? It stops now; the engine removes what the run wrote, so nothing is left half-committed. y cancel it · n keep running');
      expect(app.frame().split('\n').at(-1)).toBe('y yes  n no');
      app.press('n');
      // While it runs, esc is not offered as back.
      await app.see(/c cancel {2}\? keys {2}q quit$/);
      expect(app.frame()).toContain('backup of database — running');
    }

    app.press('c');
    await app.see('y cancel it · n keep running');
    app.press('y');
    const cancelled = await app.see('backup of database — cancelled', 30_000);
    expect(cancelled).toContain('✗ backup of database was cancelled');

    expect(await readCatalog(repo.plan, repo.registry, { component: 'database' })).toHaveLength(before.length);
    // Only what was there plus the run journal: no artifact, no manifest left behind.
    const left = (await files(join(repo.dir, 'repo'))).filter((f) => !filesBefore.includes(f));
    expect(left.every((f) => /\/runs\//.test(`/${f}`))).toBe(true);

    app.press(KEY.esc);
    await app.see('Dashboard');
  });

  test('ctrl+c twice leaves a run that will not finish: the run is aborted on the way out and cleans up after itself', async ({ pg }) => {
    const control = { holding: false, held: 0 };
    repo = await demoRepo(pg, {
      storage: [heldFs(control)],
      destinations: '  primary: { type: held-fs, path: ./repo/primary }\n  mirror: { type: held-fs, path: ./repo/mirror }',
    });
    const before = await readCatalog(repo.plan, repo.registry, { component: 'database' });
    const filesBefore = await files(join(repo.dir, 'repo'));
    control.holding = true;
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('b');
    await expect.poll(() => control.held, { timeout: 20_000 }).toBe(2);
    app.press(KEY.ctrlC);
    await app.see('(ctrl+c again: cancel and quit)');
    app.press(KEY.ctrlC);
    await expect.poll(() => app!.exits).toEqual([130]);
    // The engine finishes its cleanup after the screen is gone: the run journal records the cancelled run.
    await expect.poll(async () => (await readJournal(repo!.plan, repo!.registry)).at(-1)?.exitCode, { timeout: 20_000 }).toBe(1);
    expect(await readCatalog(repo.plan, repo.registry, { component: 'database' })).toHaveLength(before.length);
    const left = (await files(join(repo.dir, 'repo'))).filter((f) => !filesBefore.includes(f));
    expect(left.every((f) => /\/runs\//.test(`/${f}`))).toBe(true);
  });
});
