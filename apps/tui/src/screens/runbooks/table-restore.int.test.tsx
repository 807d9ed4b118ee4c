import { afterEach } from 'vitest';
import { describe, expect, test } from '@lifeboat/testkit';
import { demoRepo, psql, ROWS, type DemoRepo } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';

let repo: DemoRepo | undefined;
let app: RenderedApp | undefined;
afterEach(async () => {
  app?.unmount();
  await repo?.cleanup();
  app = repo = undefined;
});

describe('the "Accidental data deletion" runbook offers the table-level restore', () => {
  test('restore the tables beside the live ones, read the report, then copy the missing rows back after typing the name', async ({ pg }) => {
    repo = await demoRepo(pg);
    await psql(repo.env, repo.source, 'DELETE FROM questions WHERE id <= 5');
    const live = () => psql(repo!.env, repo!.source, 'SELECT count(*) FROM questions');
    const deleted = () => psql(repo!.env, repo!.source, 'SELECT count(*) FROM questions WHERE id <= 5');

    app = renderApp(repo.services, { rows: 50 });
    await app.see('mirror ✓ answers');
    app.press('u');
    await app.see('Accidental data deletion');
    app.press(KEY.down, KEY.down, KEY.enter);
    await app.see('Accidental data deletion · for database');

    // Step 3 opens the wizard on the table restore: backup, tables, what will happen, the report.
    app.press(KEY.down, KEY.down, KEY.enter);
    await app.see('step 3: Restore the tables beside the live ones');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see(/› only some tables, beside the live ones/);
    app.press(KEY.enter);
    await app.see('tables:');
    app.press('questions', KEY.enter);
    const review = await app.see('3/4 what will happen');
    expect(review).toContain('restore questions beside the live tables (nothing live is changed)');
    expect(review).toContain('no hooks run: nothing is replaced, the services stay up');
    app.press(KEY.enter);
    const report = await app.see('enter or esc: back to the runbook', 60_000);
    expect(report).toContain('5 rows in the restored copy are missing from the live table (by id)');
    expect(report).not.toContain('stopping the services');
    expect(await live()).toBe(String(ROWS.questions - 5));
    app.press(KEY.enter);
    await app.see(/✓ {2}3 Restore the tables beside the live ones/);

    // Step 4: the same restore, then the rows copied back — only once the component's name is typed.
    // Done, the checklist moves on to the next step.
    await app.see('› ·  4 Copy back only the deleted rows');
    app.press(KEY.enter);
    await app.see('step 4: Copy back only the deleted rows');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see(/› only some tables, then copy the rows the live tables lack/);
    app.press(KEY.enter);
    await app.see('tables:');
    app.press('public.questions', KEY.enter);
    await app.see('restore public.questions, then INSERT the missing rows into the live tables');
    app.press(KEY.enter);
    await app.seeWrapped('This inserts rows into the live tables (rows they have are never changed). Type database to confirm:');
    app.press('datab', KEY.enter);
    await app.seeWrapped('type database exactly to insert the missing rows into the live tables (you typed "datab")');
    expect(await deleted()).toBe('0');
    app.press('ase', KEY.enter);
    const copied = await app.see('enter or esc: back to the runbook', 60_000);
    expect(copied).toContain('inserted 5 rows into public.questions');
    expect(await live()).toBe(String(ROWS.questions));
    expect(await deleted()).toBe('5');
    app.press(KEY.enter);
    await app.see(/✓ {2}4 Copy back only the deleted rows/);
  });
});
