import { chown, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { archiverDone, closeSegment, firstArchived, query, serverOwner, serverTime, sharedDir, startArchivingPostgres } from '@lifeboat/testkit';
import { backUp, planIn } from '../../test/repo.js';
import { KEY, renderApp, type RenderedApp } from '../../test/render.js';
import type { TuiServices } from '../../services.js';

/** The built runner: archive_command (wal push) and the restore's restore_command (wal get) run it (`pnpm build` first). */
const CLI = fileURLToPath(new URL('../../../../runner/dist/bin.js', import.meta.url));

type ArchivingPostgres = Awaited<ReturnType<typeof startArchivingPostgres>>;

/**
 * The wizard's restore to a point in time against a real PostgreSQL 15
 * archiving with the built CLI: a base backup, 120 rows A, time T1, 50 rows
 * B. One server and one archive for the file's tests.
 */
describe('restore wizard: to a point in time (pitr:, real PostgreSQL 15)', () => {
  let dir: string;
  let server: ArchivingPostgres;
  let services: TuiServices;
  let t1: string;
  let app: RenderedApp | undefined;

  beforeAll(async () => {
    dir = await sharedDir();
    const archive = join(dir, 'archive');
    const opened = await planIn(
      dir,
      `version: 1
name: tui-pitr
destinations:
  archive: { type: fs, path: ${JSON.stringify(archive)}, medium: disk }
components:
  database:
    type: postgres
    url: env:TUI_DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [archive]
    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }
    verify: { tables: [items] }
    drill: { target: ephemeral }
    hooks:
      beforeRestore: ["echo stopping the services"]
      afterRestore: ["echo starting the services"]
`,
      {},
      [],
      [process.execPath, CLI],
    );
    server = await startArchivingPostgres({ cli: CLI, planFile: opened.planFile });
    Object.assign(opened.env, {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      TUI_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres`,
    });
    // The archive's folders are made by the server's OS user, as on a host where archive_command writes first.
    await firstArchived(server, archive);
    await query(server, "CREATE TABLE items (id serial PRIMARY KEY, batch text NOT NULL); INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 100)");
    await backUp(opened.engine, ['database']);
    await query(server, "INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 20)");
    t1 = await serverTime(server);
    await query(server, "INSERT INTO items (batch) SELECT 'B' FROM generate_series(1, 50)");
    await closeSegment(server);
    await archiverDone(server, await closeSegment(server));
    services = opened.services;
  }, 300_000);

  afterEach(() => {
    app?.unmount();
    app = undefined;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const erase = (shown: RenderedApp, n: number) => {
    for (let i = 0; i < n; i++) shown.press(KEY.backspace);
  };

  test('into a throwaway server: a time without a zone and a point after the archive are refused with the CLI’s sentences; at T1 the base backup and WAL are named, and the checks show the rows at T1', async () => {
    app = renderApp(services, { rows: 40 });
    await app.see('archive ✓ answers');
    app.press('r');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    await app.see('  to a point in time: a throwaway server (--to ephemeral), removed afterwards');
    app.press(KEY.down, KEY.down, KEY.down, KEY.enter);
    await app.see('point in time:  \n');
    await app.seeWrapped('or latest for the end of the WAL archive; the base backup before it is chosen for you');

    const noZone = t1.slice(0, -3);
    app.press(noZone, KEY.enter);
    await app.seeWrapped(`! --to-time "${noZone}" is not a time with a zone; expected such as "2026-02-14 12:00:00+00" or 2026-02-14T12:00:00Z (the zone is required)`);
    erase(app, noZone.length);

    // After the newest archived segment: refused in the review by the engine's own check, nothing touched.
    app.press('2099-01-01 00:00:00+00', KEY.enter);
    await app.see('restore to time 2099-01-01T00:00:00.000Z into a throwaway server');
    await app.seeWrapped('✗ refused, nothing was touched: time 2099-01-01T00:00:00.000Z is after the end of the WAL archive of database: its newest segment is', 60_000);
    app.press(KEY.enter);
    await app.seeWrapped('! this restore would be refused (above); esc to change the point or the target');
    app.press(KEY.esc);
    await app.see('2/4 pick a target');
    app.press(KEY.enter);
    await app.see('point in time: 2099-01-01 00:00:00+00');
    erase(app, '2099-01-01 00:00:00+00'.length);

    app.press(t1, KEY.enter);
    const at = new Date(t1.replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString();
    await app.see(`restore to time ${at} into a throwaway server`);
    await app.seeWrapped('1. no hooks run: a throwaway server replaces nothing, the services stay up');
    await app.seeWrapped(`2. restore to time ${at}: base backup`, 60_000);
    await app.seeWrapped('file(s), all in the archive)');
    await app.seeWrapped('out in a throwaway data directory, check it with pg_verifybackup, and recover it to time');
    // A throwaway server: nothing to confirm.
    await app.seeWrapped('enter: start the restore · esc: back');
    app.press(KEY.enter);

    const done = await app.see('restore of database — ✓ done', 180_000);
    expect(done).toContain('Restore database · 4/4 result');
    expect(done).toMatch(/recovered to time .*✓ ok/);
    // 120 rows A at T1 (100 at the base backup); the 50 B written after T1 are not there.
    expect(done).toMatch(/rows in items \(at the .*\s100\s+120\s+✓ ok/);
    expect(done).not.toContain('stopping the services');
  }, 300_000);

  test('the runbook "Database corruption" offers it; into a data directory: a folder that holds something is refused until clean is on, and only the typed name starts it', async () => {
    const target = join(dir, 'restored');
    await mkdir(target);
    await writeFile(join(target, 'old.txt'), 'what was there');
    const owner = serverOwner();
    if (owner) await chown(target, owner.uid, owner.gid);

    app = renderApp(services, { rows: 50 });
    await app.see('archive ✓ answers');
    app.press('u');
    await app.see('› Database corruption');
    app.press(KEY.enter);
    await app.see('Database corruption · for database');
    app.press(KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter);
    await app.see('step 6: If major: restore to a point in time');
    await app.see(/1\/4 pick a backup\n› \d{8}T/);
    app.press(KEY.enter);
    // The step opens the wizard on the restore to a point.
    await app.see('› to a point in time: a throwaway server (--to ephemeral)');
    app.press(KEY.down, KEY.enter);
    await app.see('point in time:');
    app.press(t1, KEY.enter);
    await app.see('2/4 data directory to recover into');
    app.press(target, KEY.enter);
    await app.see('2/4 owner of the data directory');
    app.press(KEY.enter);

    await app.see(`into the data directory /`);
    await app.seeWrapped(`✗ refused, nothing was touched: --to-dir ${target} is not empty (1 entries, such as old.txt); pass --clean --yes`, 60_000);
    app.press('c');
    await app.seeWrapped(`clean is ON: EMPTY ${target} first (all it holds is lost)`);
    await app.seeWrapped('1. run beforeRestore: echo stopping the services');
    await app.seeWrapped('base backup', 60_000);
    app.press(KEY.enter);
    await app.seeWrapped('This runs the plan’s beforeRestore hooks and lays a recovered cluster out in the data directory. Type database to confirm:');
    app.press('datab', KEY.enter);
    await app.seeWrapped('type database exactly to recover into the data directory (you typed "datab")');
    expect(await readdir(target)).toEqual(['old.txt']);
    app.press('ase', KEY.enter);

    const done = await app.see('enter or esc: back to the runbook', 180_000);
    expect(done).toContain('✓ done');
    expect(done).toContain('stopping the services');
    const names = await readdir(target);
    expect(names).toContain('PG_VERSION');
    expect(names).not.toContain('old.txt');
    expect(names).not.toContain('recovery.signal');
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    app.press(KEY.enter);
    await app.see(/✓ {2}6 If major: restore to a point in time/);
  }, 300_000);
});
