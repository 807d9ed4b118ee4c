import { afterEach, describe, expect, test } from 'vitest';
import { planOnly } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';

let app: RenderedApp | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  app?.unmount();
  await cleanup?.();
  app = cleanup = undefined;
});

/** The plan's database and a config component; no server and no backup needed to see what a runbook acts on. */
async function databaseAndConfig() {
  const repo = await planOnly(
    '  primary: { type: fs, path: ./repo }',
    [],
    ['primary'],
    '  config:\n    type: files\n    paths: [/etc/civicq]\n    schedule: on-change\n    rpo: 0\n    rto: 1h\n    destinations: [primary]\n',
  );
  cleanup = repo.cleanup;
  return repo;
}

describe('fault matrix: runbooks', () => {
  test('fault 11.9: Database corruption opened with config selected on the dashboard acts on the database, not on config', async () => {
    const { services } = await databaseAndConfig();
    app = renderApp(services);
    await app.see('Dashboard');
    app.press('j');
    await app.see(/› config\s+files/);
    app.press('u');
    await app.see('› Database corruption');
    await app.see('About: database');

    app.press(KEY.enter);
    await app.see('Database corruption · for database · timer not started (RTO 4h)');
    const checklist = app.frame();
    expect(checklist).toMatch(/4 Check the backups are intact\s+verify database/);
    expect(checklist).toMatch(/5 If major: restore from the latest backup\s+restore database/);
    expect(checklist).not.toContain('config');

    // The restore step opens the wizard for the database.
    app.press(KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter);
    await app.see('Database corruption · step 5: If major: restore from the latest backup');
    await app.see('Restore database');
  });

  test('fault 11.9: a scenario about every component restores the one selected on the dashboard and verifies them all', async () => {
    const { services } = await databaseAndConfig();
    app = renderApp(services);
    app.press('j');
    await app.see(/› config\s+files/);
    app.press('u');
    await app.see('› Database corruption');
    app.press(KEY.down, KEY.down, KEY.down);
    await app.see('› Security breach');
    await app.see('About: database, config');
    app.press(KEY.enter);
    await app.see('Security breach · for database, config');
    expect(app.frame()).toMatch(/Restore from a known-good backup\s+restore config/);
    expect(app.frame()).toMatch(/Check the backups are intact\s+verify database, config/);
  });
});
