import { afterEach, describe, expect, test } from 'vitest';
import { planOnly } from './test/repo.js';
import { KEY, renderApp, type RenderedApp } from './test/render.js';
import { brokenStorage, hangingFs } from './test/storage.js';

let app: RenderedApp | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  app?.unmount();
  await cleanup?.();
  app = cleanup = undefined;
});

describe('storage that is slow or down', () => {
  test('never freezes: while a destination hangs the dashboard says so, and keys still work', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const repo = await planOnly('  primary: { type: hanging-fs, path: ./repo }', [hangingFs(gate)]);
    cleanup = repo.cleanup;
    app = renderApp(repo.services);
    await app.see('primary … checking');
    await app.see('reading the catalog and journal from the destinations…');
    expect(app.frame()).toMatch(/database\s+postgres\s+…/);

    app.press('?');
    await app.see('Every');
    app.press(KEY.esc);
    await app.see('primary … checking');

    open();
    await app.see('primary ! empty');
    await app.see(/database\s+postgres\s+never ✗/);
    expect(app.frame()).toContain('database has never been backed up');
  });

  test("a destination that fails shows the engine's sentence inline; the others still show", async () => {
    const repo = await planOnly('  primary: { type: fs, path: ./repo }\n  offsite: { type: broken }', [brokenStorage()]);
    cleanup = repo.cleanup;
    app = renderApp(repo.services);
    await app.see('offsite ✗ fails');
    await app.see('✗ offsite: connect ECONNREFUSED 10.0.0.9:9000');
    // Wrapped, never cut: the whole sentence is on screen.
    await app.seeWrapped("! cannot read the run journal in destination 'offsite' (broken://store): connect ECONNREFUSED 10.0.0.9:9000");
    expect(app.frame()).toContain('primary ! empty');
  });
});

describe('keys everywhere', () => {
  test('q quits with exit code 0', async () => {
    const repo = await planOnly('  primary: { type: fs, path: ./repo }');
    cleanup = repo.cleanup;
    app = renderApp(repo.services);
    await app.see('Dashboard');
    app.press('q');
    await expect.poll(() => app!.exits).toEqual([0]);
  });

  test('esc on the first screen does nothing but say how to quit', async () => {
    const repo = await planOnly('  primary: { type: fs, path: ./repo }');
    cleanup = repo.cleanup;
    app = renderApp(repo.services);
    await app.see('Dashboard');
    app.press(KEY.esc);
    await app.see('this is the first screen; q quits');
    expect(app.exits).toEqual([]);
  });
});
