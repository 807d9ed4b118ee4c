import { afterEach } from 'vitest';
import { readJournal } from '@lifeboat/core';
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

// The plan replaces the shipped database-corruption runbook with its own, commands included.
const RUNBOOKS = `runbooks:
  - id: database-corruption
    title: Database corruption (ours)
    detection: [Application errors]
    steps:
      - title: Stop all writes
        command: "echo stopping backend celery-worker"
      - title: Assess the damage
        detail: Try queries with psql
      - title: Try a repair
        command: "echo REINDEX failed >&2; exit 3"
      - title: Check the status
        action: { type: status }
      - title: Restore from the latest backup
        action: { type: restore }
`;

describe('runbooks', () => {
  test("a scenario end to end: commands with output and exit code, a note, a Lifeboat action, the restore wizard, then the RTO in the journal", async ({ pg }) => {
    repo = await demoRepo(pg, { planExtra: RUNBOOKS });
    const target = await pg.createDatabase();
    cleanups.push(() => target.drop());
    repo.env.RESTORE_URL = repo.urlOf(target.name);

    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('u');
    const list = await app.see('Database corruption (ours)');
    expect(list).toMatch(/› Database corruption \(ours\)\s+5 steps, 4 automated · from the plan/);
    expect(list).toMatch(/Complete server failure\s+10 steps/);
    expect(list).toContain('Accidental data deletion');
    expect(list).toContain('Security breach');
    expect(list).toContain('• Application errors');

    app.press(KEY.enter);
    await app.see('Database corruption (ours) · for database · timer not started (RTO 4h)');

    // 1. A command: its output and exit code.
    app.press(KEY.enter);
    await app.see(/✓ {2}1 Stop all writes\s+\$ echo stopping backend/);
    await app.see('› ·  2 Assess the damage');
    app.press(KEY.up);
    const first = await app.see('1. Stop all writes — done (exit 0)');
    expect(first).toContain('stopping backend celery-worker');
    expect(first).toContain('exit code 0');
    expect(first).toMatch(/timer \d+(ms|s)/);

    // 2. A manual step, done with a note (q is a letter while typing).
    app.press(KEY.down, 'n');
    await app.see('note for step 2:');
    app.press('only the users table, q says psql');
    await app.see('note for step 2: only the users table, q says psql');
    app.press(KEY.enter);
    await app.see(/✓ {2}2 Assess the damage\s+manual · only the users table/);

    // 3. A failing command: the exit code and the engine's sentence; it stays selected.
    app.press(KEY.enter);
    await app.see(/✗ {2}3 Try a repair\s+exit 3 · \$ echo REINDEX failed/);
    const failed = await app.see('3. Try a repair — failed (exit 3)');
    expect(failed).toContain('exit code 3');
    await app.seeWrapped('✗ hook runbook[0] (echo REINDEX failed >&2; exit 3) exited with code 3: REINDEX failed');

    // 4. A Lifeboat action: status, as `lifeboat status` sees it (3-2-1 not met: unhealthy, exit 3).
    app.press(KEY.down, KEY.enter);
    await app.see('4. Check the status — failed (exit 3)', 20_000);
    expect(app.frame()).toMatch(/database: warning, last backup \d{8}T\d{6}Z-[0-9a-f]+/);

    // 5. Restore: the wizard opens inside the runbook and its result becomes the step's.
    app.press(KEY.down, KEY.enter);
    await app.see('Database corruption (ours) · step 5: Restore from the latest backup');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see('2/4 pick a target');
    app.press(KEY.down, KEY.down, KEY.enter);
    await app.see('2/4 type a target');
    app.press('env:RESTORE_URL', KEY.enter);
    await app.see('3/4 what will happen');
    app.press(KEY.enter);
    await app.see('enter or esc: back to the runbook', 30_000);
    expect(await psql(repo.env, target, 'SELECT count(*) FROM questions')).toBe(String(ROWS.questions));
    app.press(KEY.enter);
    await app.see(/✓ {2}5 Restore from the latest backup/);
    await app.see('3/3 checks match');

    // Finish: nothing is pending, so it records at once.
    app.press('f');
    await app.see(/recovery took \S+( \S+)? · 3 done, 2 failed/);
    const recorded = await app.see(/recorded as run \d{8}T\d{6}Z-[0-9a-f]+ in the journal of 2\/2 destinations/);
    const id = /recorded as run (\S+)/.exec(recorded)![1]!;

    const runbookRun = (await readJournal(repo.plan, repo.registry)).find((r) => r.id === id)!;
    expect(runbookRun).toMatchObject({ operation: 'runbook', plan: 'tui-test', exitCode: 1 });
    const details = runbookRun.components[0]!.details as { runbook: string; rtoActualMs: number; steps: Array<Record<string, unknown>> };
    expect(runbookRun.components[0]).toMatchObject({ component: 'database', outcome: 'failed' });
    expect(details.runbook).toBe('database-corruption');
    expect(details.rtoActualMs).toBeGreaterThan(0);
    expect(details.steps.map((s) => [s.title, s.outcome, s.exitCode ?? null])).toEqual([
      ['Stop all writes', 'done', 0],
      ['Assess the damage', 'done', null],
      ['Try a repair', 'failed', 3],
      ['Check the status', 'failed', 3],
      ['Restore from the latest backup', 'done', 0],
    ]);
    expect(details.steps[1]).toMatchObject({ note: 'only the users table, q says psql' });

    // History shows the recovery against the RTO.
    app.press(KEY.esc);
    await app.see('How it shows itself');
    app.press(KEY.esc);
    await app.see('Dashboard');
    app.press('h');
    await app.see(/database\s+database-c\S*\s+█+·*│·* \S+\/4h ✗/);
  });

  test('leaving a started runbook asks first; the wizard left early puts the step back', async ({ pg }) => {
    repo = await demoRepo(pg);
    app = renderApp(repo.services);
    await app.see('mirror ✓ answers');
    app.press('u');
    await app.see('› Database corruption');
    app.press(KEY.enter);
    await app.see('1. Stop all writes');
    app.press(KEY.enter);
    await app.see('› ·  2 Assess the damage');
    // Shipped step 5 is the restore: esc from its first step returns to the checklist, step still pending.
    app.press(KEY.down, KEY.down, KEY.down, KEY.enter);
    await app.see('step 5: If major: restore from the latest backup');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.esc);
    await app.see('› ·  5 If major: restore from the latest backup');

    app.press(KEY.esc);
    await app.seeWrapped('Leave without recording this run? The timer and step outcomes are lost. y yes · n no');
    app.press('n');
    await app.gone('Leave without recording');
    app.press(KEY.esc);
    await app.see('Leave without recording');
    app.press('y');
    await app.see('How it shows itself');
    expect((await readJournal(repo.plan, repo.registry)).filter((r) => r.operation === 'runbook')).toEqual([]);
  });
});
