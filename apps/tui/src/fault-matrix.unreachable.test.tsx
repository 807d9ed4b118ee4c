import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { backUp, planIn } from './test/repo.js';
import { KEY, renderApp, type RenderedApp } from './test/render.js';
import { brokenStorage } from './test/storage.js';

/**
 * Issue 11, item 7, in the TUI: a backup committed to a folder and to an
 * offsite store, and then the offsite store goes down. No screen may still
 * say the backup is there.
 */

let app: RenderedApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  app?.unmount();
  if (dir) await rm(dir, { recursive: true, force: true });
  app = dir = undefined;
});

const plan = (offsite: string) => `version: 1
name: tui-test
destinations:
  primary: { type: fs, path: ./repo/primary, medium: disk }
  offsite: ${offsite}
rule321: { copies: 3, media: 2, offsite: 1 }
components:
  config:
    type: files
    paths: [./live]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [primary, offsite]
`;

describe('an offsite destination that went down after the backup', () => {
  test('fault 11.7: the dashboard names it unreachable, not counted; the backup detail no longer says "committed to primary, offsite"', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-tui-'));
    await mkdir(join(dir, 'live'));
    await writeFile(join(dir, 'live', 'app.conf'), 'listen 8080\n');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
    const before = await planIn(dir, plan('{ type: fs, path: ./repo/offsite, medium: object-storage, offsite: true }'), env);
    await backUp(before.engine, ['config']);

    const down = await planIn(dir, plan('{ type: broken, offsite: true }'), env, [brokenStorage()]);
    app = renderApp(down.services);
    await app.see('offsite ✗ fails');
    await app.see(/last backup \S+, .* ago, in primary \(offsite unreachable\)/);
    await app.seeWrapped("config's offsite copy in destination 'offsite' is unreachable and not counted: connect ECONNREFUSED 10.0.0.9:9000");
    expect(app.frame()).toMatch(/config\s+files\s+.*2-1-0 !/);

    app.press(KEY.enter);
    await app.see('1 complete backup in primary (offsite unreachable)');
    const frame = await app.seeWrapped('committed to primary, offsite when taken; found now in primary; offsite unreachable, so that copy is unknown');
    expect(frame).not.toContain('committed to primary, offsite;');
  });
});
