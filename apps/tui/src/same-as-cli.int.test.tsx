import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { readCatalog, readJournal } from '@lifeboat/core';
import { backUp, planIn } from './test/repo.js';
import { KEY, renderApp, type RenderedApp } from './test/render.js';

/**
 * The TUI is a view over the same operations as the CLI: a backup started
 * from the dashboard checks the plan, auto-prunes by the plan's retention,
 * pings and alerts through its notify channels, and journals, exactly as
 * `lifeboat backup` does. Each side gets a twin workspace (two backups of
 * `config` already there, and a `broken` component whose path is missing)
 * and its own paths on one local HTTP server that records every alert and
 * ping. The CLI is the built runner (`pnpm build` first), as in e2e.int.test.ts.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'apps/runner/dist/bin.js');
const run = promisify(execFile);

const PLAN = `version: 1
name: twins
destinations:
  primary: { type: fs, path: ./repo/primary, medium: disk }
  mirror: { type: fs, path: ./repo/mirror, medium: disk }
components:
  config:
    type: files
    paths: [./live]
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [primary, mirror]
    retention: { primary: { keepLast: 1 }, mirror: { keepLast: 2 } }
  broken:
    type: files
    paths: [./missing]
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [primary, mirror]
notify:
  - { type: webhook, url: env:ALERT_URL, severities: [sev1, sev2, sev3] }
  - { type: ping, url: env:PING_URL }
`;

/** What the server was sent, by path prefix (`/tui/…`, `/cli/…`): what a person on the other end would see. */
interface Received {
  path: string;
  severity?: string;
  component?: string;
  operation?: string;
  title?: string;
  exitCode?: number;
}

let server: Server | undefined;
let app: RenderedApp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  app?.unmount();
  app = undefined;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function listen(received: Received[]): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const alert: Partial<Received> = body ? (JSON.parse(body) as Received) : {};
      received.push({ path: req.url ?? '', ...pick(alert) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function pick({ severity, component, operation, title, exitCode }: Partial<Received>): Omit<Received, 'path'> {
  return { severity, component, operation, title, exitCode };
}

/** A twin workspace: the plan, the live files of `config`, and two backups of it taken before the test. */
async function workspace(base: string, side: 'tui' | 'cli') {
  const dir = await mkdtemp(join(tmpdir(), `lifeboat-twin-${side}-`));
  dirs.push(dir);
  await mkdir(join(dir, 'live'));
  await writeFile(join(dir, 'live', 'app.conf'), 'listen 8080\n');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ALERT_URL: `${base}/${side}/alert`, PING_URL: `${base}/${side}/ping` };
  const opened = await planIn(dir, PLAN, env);
  await backUp(opened.engine, ['config'], 2);
  return { dir, ...opened };
}

/** What a side left in the repository: backups per component and destination (oldest first), and the journal's operations. */
async function leftBehind(side: Awaited<ReturnType<typeof workspace>>, before: string[]) {
  const catalog = await readCatalog(side.plan, side.registry);
  const kept = (destination: string) => catalog.filter((e) => e.destinations.includes(destination)).map((e) => (before.includes(e.id) ? `old ${before.indexOf(e.id) + 1}` : 'new'));
  const journal = await readJournal(side.plan, side.registry);
  return {
    primary: kept('primary'),
    mirror: kept('mirror'),
    journal: journal.map((r) => `${r.operation} ${r.components.map((c) => `${c.component}:${c.outcome}`).join(',')} exit ${r.exitCode}`),
  };
}

describe('a backup from the TUI and from the CLI', () => {
  test('auto-prune the same backups, alert and ping the same, and journal the same runs', async () => {
    expect(existsSync(BIN), `${BIN} is missing: run pnpm build first (this test runs the built runner)`).toBe(true);
    const received: Received[] = [];
    const base = await listen(received);

    const cli = await workspace(base, 'cli');
    const cliBefore = (await readCatalog(cli.plan, cli.registry)).map((e) => e.id);
    const lifeboat = (...args: string[]) =>
      run(process.execPath, [BIN, '--plan', cli.planFile, ...args], { env: { ...cli.env, LIFEBOAT_LOCK_DIR: cli.lockDir, NO_COLOR: '1' } }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    expect(await lifeboat('backup', 'config')).toBe(0);
    expect(await lifeboat('backup', 'broken')).toBe(1);

    const tui = await workspace(base, 'tui');
    const tuiBefore = (await readCatalog(tui.plan, tui.registry)).map((e) => e.id);
    app = renderApp(tui.services);
    await app.see(/› config/);
    app.press('b');
    await app.see('esc: back to the dashboard');
    expect(app.frame()).toContain('backup of config');
    app.press(KEY.esc);
    await app.see(/› config/);
    app.press(KEY.down);
    await app.see(/› broken/);
    app.press('b');
    await app.see('esc: back to the dashboard');
    expect(app.frame()).toContain('backup of broken');

    const byCli = await leftBehind(cli, cliBefore);
    const byTui = await leftBehind(tui, tuiBefore);
    // keepLast 1 in primary, 2 in mirror: the backup just taken, and in mirror the newest before it.
    expect(byCli).toMatchObject({ primary: ['new'], mirror: ['old 2', 'new'] });
    expect(byTui).toEqual(byCli);
    expect(byCli.journal.slice(2)).toEqual(['backup config:ok exit 0', 'prune config:ok exit 0', 'backup broken:failed exit 1']);

    const sent = (side: string) => received.filter((r) => r.path.startsWith(`/${side}/`)).map((r) => ({ ...r, path: r.path.slice(side.length + 1) }));
    expect(sent('cli')).toEqual([
      { path: '/ping/start' },
      { path: '/ping' },
      { path: '/ping/start' },
      { path: '/alert', severity: 'sev2', component: 'broken', operation: 'backup', title: 'backup of broken failed', exitCode: 1 },
      { path: '/ping/fail' },
    ]);
    expect(sent('tui')).toEqual(sent('cli'));
  });
});
