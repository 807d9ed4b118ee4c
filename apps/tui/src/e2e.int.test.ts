import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, vi } from 'vitest';
import { describe, expect, test } from '@lifeboat/testkit';
import { demoRepo, psql, ROWS, type DemoRepo } from './test/repo.js';

/**
 * The built `lifeboat tui` in a real terminal: tmux gives it a tty of 80×24,
 * keys go in with send-keys, and what a person would see comes back with
 * capture-pane. Needs `pnpm build` first (the runner's dist) and tmux
 * (tooling/bootstrap.sh installs it).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'apps/runner/dist/bin.js');
const run = promisify(execFile);

let repo: DemoRepo | undefined;
let tmux: Tmux | undefined;
afterEach(async () => {
  await tmux?.kill();
  await repo?.cleanup();
  tmux = repo = undefined;
});

interface Tmux {
  /** Keys as tmux names them: Enter, Escape, Down, or a letter. */
  keys(...keys: string[]): Promise<void>;
  /** Literal text, typed. */
  type(text: string): Promise<void>;
  screen(): Promise<string>;
  see(expected: string | RegExp, timeout?: number): Promise<string>;
  /** The program has exited: its exit status, as the launcher printed it. */
  exited(): Promise<number | undefined>;
  kill(): Promise<void>;
}

async function startTmux(command: string): Promise<Tmux> {
  const socket = `lifeboat-e2e-${process.pid}-${Date.now()}`;
  const tmuxCmd = (...args: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env: { ...process.env, TMUX: '' } });
  try {
    await tmuxCmd('new-session', '-d', '-s', 'e2e', '-x', '80', '-y', '24', command);
  } catch (err) {
    throw new Error(`tmux could not start (${(err as Error).message}); install it with tooling/bootstrap.sh (apt-get install -y tmux)`);
  }
  const screen = async () => (await tmuxCmd('capture-pane', '-p', '-t', 'e2e')).stdout;
  // The launcher prints this when the program ends (tmux itself may not notice a child's exit promptly).
  const exited = async () => {
    const found = /\[lifeboat exited with (\d+)\]/.exec(await screen());
    return found ? Number(found[1]) : undefined;
  };
  return {
    keys: async (...keys) => void (await tmuxCmd('send-keys', '-t', 'e2e', ...keys)),
    type: async (text) => void (await tmuxCmd('send-keys', '-t', 'e2e', '-l', text)),
    screen,
    see: async (expected, timeout = 30_000) => {
      let last = '';
      let gone: number | undefined;
      await vi.waitFor(
        async () => {
          last = await screen();
          gone ??= await exited();
          const shows = typeof expected === 'string' ? last.includes(expected) : expected.test(last);
          // A program that has exited will not draw it later: say so now, with what it printed.
          if (!shows && gone !== undefined) return;
          if (typeof expected === 'string') expect(last).toContain(expected);
          else expect(last).toMatch(expected);
        },
        { timeout, interval: 100 },
      );
      if (gone !== undefined && !(typeof expected === 'string' ? last.includes(expected) : expected.test(last))) {
        throw new Error(`lifeboat tui exited with ${gone} before showing ${String(expected)}; the terminal shows:\n${last.trimEnd()}`);
      }
      return last;
    },
    exited,
    kill: async () => void (await tmuxCmd('kill-server').catch(() => undefined)),
  };
}

describe('lifeboat tui (built, in tmux)', () => {
  test('the dashboard at 80×24, then a full production restore through the wizard, checked in the database', async ({ pg }) => {
    expect(existsSync(BIN), `${BIN} is missing: run pnpm build first (this test runs the built runner)`).toBe(true);
    repo = await demoRepo(pg);
    // The accident the restore repairs.
    await psql(repo.env, repo.source, 'DELETE FROM questions WHERE id > 100');
    expect(await psql(repo.env, repo.source, 'SELECT count(*) FROM questions')).toBe('100');

    // The environment a person on call would have; the URL (with its password) travels in it, never in argv.
    // CI is left out on purpose: Ink draws nothing until exit when it believes it runs in CI.
    const launcher = join(repo.dir, 'tui.sh');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      LIFEBOAT_LOCK_DIR: repo.lockDir,
      TUI_DATABASE_URL: repo.env.TUI_DATABASE_URL!,
    };
    const assignments = Object.entries(env)
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    await writeFile(
      launcher,
      `#!/bin/sh\nenv -i ${assignments} '${process.execPath}' '${BIN}' --plan '${repo.planFile}' tui\necho "[lifeboat exited with $?]"\nexec sleep 600\n`,
      { mode: 0o700 },
    );

    tmux = await startTmux(launcher);
    const dashboard = await tmux.see(/› database\s+postgres\s+\S+\/1d ✓\s+\d+\.\d KiB\s+3-1-0 !\s+never !/);
    await tmux.see('destinations:  primary ✓ answers  mirror ✓ answers');
    expect(dashboard).toContain('plan tui-test · Dashboard');
    expect(dashboard.split('\n').every((line) => line.length <= 80)).toBe(true);

    await tmux.keys('r');
    await tmux.see(/1\/4 pick a backup\n› \d{8}T\d{6}Z-[0-9a-f]+/);
    await tmux.keys('Enter');
    await tmux.see('2/4 pick a target');
    await tmux.keys('Down', 'Enter');
    await tmux.see('PRODUCTION restore into env:TUI_DATABASE_URL');
    await tmux.see('DROP it and create it again');
    await tmux.keys('Enter');
    await tmux.see('Type database to confirm:');
    await tmux.type('database');
    await tmux.keys('Enter');

    const done = await tmux.see('restore of database — ✓ done', 60_000);
    expect(done).toMatch(new RegExp(`rows in questions\\s+${ROWS.questions}\\s+${ROWS.questions}\\s+✓ match`));
    expect(done).toMatch(new RegExp(`rows in users\\s+${ROWS.users}\\s+${ROWS.users}\\s+✓ match`));
    // Restored in the database itself, not only on screen.
    expect(await psql(repo.env, repo.source, 'SELECT count(*) FROM questions')).toBe(String(ROWS.questions));

    await tmux.keys('Escape');
    await tmux.see('plan tui-test · Dashboard');
    await tmux.keys('q');
    await expect.poll(() => tmux!.exited(), { timeout: 15_000 }).toBe(0);
  });
});
