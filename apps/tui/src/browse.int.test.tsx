import { afterAll, afterEach } from 'vitest';
import { newId, pinBackup, readCatalog, runRecord, writeRunRecord } from '@lifeboat/core';
import { describe, expect, test, type TestPostgres } from '@lifeboat/testkit';
import { demoRepo, ROWS, type DemoRepo } from './test/repo.js';
import { KEY, renderApp, type RenderedApp } from './test/render.js';

// The read-only screens over one demo repository: two backups of a real database.
let shared: Promise<DemoRepo> | undefined;
const repoOf = (pg: TestPostgres) =>
  (shared ??= demoRepo(pg, { backups: 2, planExtra: 'legalHolds:\n  - { component: database, until: "2099-12-31", reason: election + 22 months }\n' }));
let app: RenderedApp | undefined;
afterEach(() => {
  app?.unmount();
  app = undefined;
});
afterAll(async () => (await shared)?.cleanup());

describe('dashboard', () => {
  test('at 80×24: each component against RPO, 3-2-1 and RTO, its next run, and whether each destination answers', async ({ pg }) => {
    const repo = await repoOf(pg);
    app = renderApp(repo.services);
    const frame = await app.see(/› database\s+postgres\s+\d+(ms|s)\/1d ✓\s+\d+\.\d KiB\s+3-1-0 !\s+never !\s+0 2 \* \* \*/);
    await app.see('destinations:  primary ✓ answers  mirror ✓ answers');
    expect(frame).toContain('Lifeboat 0.0.0-test · plan tui-test · Dashboard');
    expect(frame).toContain('has never been restored by a drill');
    const lines = app.frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.at(-1)).toMatch(/^enter backups {2}b backup .*\? keys {2}esc back {2}q quit$/);
  });

  test('NO_COLOR: the same screen with no colour codes at all', async ({ pg }) => {
    const repo = await repoOf(pg);
    app = renderApp(repo.services, { color: true });
    await app.see('3-1-0 !');
    // eslint-disable-next-line no-control-regex
    const colour = /\u001B\[(3[0-7]|9[0-7]|38;)/;
    expect(app.raw()).toMatch(colour);
    app.unmount();
    app = renderApp(repo.services, { color: false });
    await app.see('3-1-0 !');
    expect(app.raw()).not.toMatch(colour);
  });

  test('? lists every key from the key table; esc closes it', async ({ pg }) => {
    const repo = await repoOf(pg);
    app = renderApp(repo.services);
    await app.see('Dashboard');
    app.press('?');
    const help = await app.see('plan tui-test · Keys');
    for (const text of ['show every key', 'back up the component now', 'timed restore drill', 'toggle --clean', 'finish and record the RTO', 'cancel the run']) {
      expect(help).toContain(text);
    }
    expect(help.split('\n').at(-1)).toBe('esc close');
    app.press(KEY.esc);
    await app.see('mirror ✓ answers');
  });
});

describe('backups', () => {
  test('enter lists the backups newest first with age, size and where; the detail shows the manifest facts', async ({ pg }) => {
    const repo = await repoOf(pg);
    const catalog = await readCatalog(repo.plan, repo.registry, { component: 'database' });
    await pinBackup(repo.engine(() => undefined), 'database', catalog[0]!.id, 'before the schema migration');
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press(KEY.enter);
    const frame = await app.see(`tables: cities ${ROWS.cities} · users ${ROWS.users} · questions ${ROWS.questions}`);
    expect(frame).toContain(`database · ${catalog.length} complete backups in primary, mirror`);
    const newest = catalog.at(-1)!;
    const oldest = catalog[0]!;
    expect(frame.indexOf(newest.id)).toBeLessThan(frame.indexOf(oldest.id));
    expect(frame).toMatch(new RegExp(`› ${newest.id}\\s+\\S+\\s+\\d+\\.\\d KiB\\s+primary,mirror\\s+– held\\n`));
    await app.seeWrapped('not verified since written (v on the dashboard) · held until 2099-12-31: election + 22 months');
    expect(frame).toContain(`sha256 ${newest.manifest.artifacts[0]!.sha256}`);
    expect(frame).toContain('pg_dump custom archive');
    expect(frame).toMatch(/serverVersion 15/);

    app.press(KEY.down);
    await app.see(new RegExp(`› ${oldest.id}.*– held pinned`));
    expect(app.frame()).toContain(`sha256 ${oldest.manifest.artifacts[0]!.sha256}`);
    expect(app.frame()).toContain('pinned: before the schema migration');
    app.press(KEY.esc);
    await app.see('Dashboard');
  });
});

describe('history', () => {
  test('runs newest first, and each drill against its RTO as a bar', async ({ pg }) => {
    const repo = await repoOf(pg);
    // A drill as `lifeboat drill` records it (the live-run tests run real ones).
    const at = new Date();
    await writeRunRecord(
      Object.keys(repo.plan.destinations).map((d) => repo.registry.repository(repo.plan, d)),
      runRecord({
        id: newId(at),
        operation: 'drill',
        plan: repo.plan.name,
        toolVersion: 'test',
        startedAt: at.toISOString(),
        finishedAt: at.toISOString(),
        durationMs: 90_000,
        exitCode: 0,
        components: [{ component: 'database', outcome: 'ok', durationMs: 90_000, details: { rtoActualMs: 3 * 3_600_000, rtoTargetMs: 4 * 3_600_000 } }],
      }),
      () => undefined,
    );
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('h');
    const frame = await app.see('Runs · 3 in the journal, newest first');
    expect(frame).toMatch(/› \d{4}-\d\d-\d\d \d\d:\d\d\s+drill\s+✓ ok\s+1m 30s\s+database/);
    expect(frame).toMatch(/backup\s+✓ ok/);
    expect(frame).toMatch(/database\s+drill\s+█+·*│·* 3h\/4h ✓/);
  });
});
