import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { eachWorkspace, filesPlan, lifeboat, type Workspace } from './test/harness.js';
import { events } from './test/log-lines.js';

/** The `config` files component over `destinations`, backing up ws/etc. */
const configPlan = (ws: Workspace, destinations: Record<string, string>, extra = '') => filesPlan({ destinations, paths: [join(ws.dir, 'etc')], extra });

describe('fault matrix: the command line', () => {
  const ws = eachWorkspace();
  const cli = (args: string[], env: Record<string, string> = {}) => lifeboat(['--plan', ws.plan, ...args], { env, lockDir: ws.lockDir });
  const tree = async () => {
    await mkdir(join(ws.dir, 'etc'), { recursive: true });
    await writeFile(join(ws.dir, 'etc', 'app.conf'), 'port = 8000\n');
  };

  test('fault 11.9: backup of an unchanged on-change component is a neutral line, not ✗, in human and JSON output', async () => {
    await tree();
    await ws.writePlan(configPlan(ws, { local: join(ws.dir, 'repo') }));
    expect((await cli(['backup'])).exitCode).toBe(0);
    const [first] = JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ id: string }>;

    const human = await cli(['--log-format', 'human', 'backup']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).not.toContain('✗');
    expect(human.stdout).toContain(`  = config unchanged since backup ${first!.id}: the file set has the same content hash as backup ${first!.id}; no new backup needed\n`);
    expect(human.stdout).toMatch(/^= config unchanged in \d+\.\ds$/m);

    const json = await cli(['backup']);
    expect(json.exitCode).toBe(0);
    const lines = events(json.stdout) as Array<{ event: string; msg: string; level: string; outcome?: string }>;
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(lines.find((l) => l.event === 'unchanged')?.msg).toBe(
      `config unchanged since backup ${first!.id}: the file set has the same content hash as backup ${first!.id}; no new backup needed`,
    );
    expect(lines.find((l) => l.event === 'component.finished')).toMatchObject({ outcome: 'unchanged', level: 'info' });
  });

  test('fault 11.9: usage errors (unknown option, missing argument, unknown command) are `lifeboat: <sentence>` with a --help hint, exit 2', async () => {
    const unknownOption = await lifeboat(['list', '--jsn'], { lockDir: ws.lockDir });
    expect(unknownOption.exitCode).toBe(2);
    expect(unknownOption.stderr).toBe("lifeboat: unknown option '--jsn' (Did you mean --json?); run lifeboat list --help for usage\n");

    const missing = await lifeboat(['restore'], { lockDir: ws.lockDir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe("lifeboat: missing required argument 'component'; run lifeboat restore --help for usage\n");

    const command = await lifeboat(['bakup'], { lockDir: ws.lockDir });
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toBe("lifeboat: unknown command 'bakup' (Did you mean backup?); run lifeboat --help for usage\n");

    const nested = await lifeboat(['keys', 'generate'], { lockDir: ws.lockDir });
    expect(nested.exitCode).toBe(2);
    expect(nested.stderr).toBe("lifeboat: required option '--out <file>' not specified; run lifeboat keys generate --help for usage\n");

    for (const run of [unknownOption, missing, command, nested]) expect(run.stdout).toBe('');
  });

  describe('keys generate --out -', () => {
    const dash = resolve('-');
    afterEach(async () => {
      await rm(dash, { force: true });
    });

    test('fault 11.9: keys generate --out - writes the identity to stdout only, and no file named -', async () => {
      expect(existsSync(dash)).toBe(false);
      const run = await lifeboat(['keys', 'generate', '--out', '-'], { lockDir: ws.lockDir });
      expect(run.exitCode).toBe(0);
      expect(existsSync(dash)).toBe(false);
      const secret = /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m.exec(run.stdout)?.[0];
      expect(secret).toBeDefined();
      const recipient = /^# public key: (age1[0-9a-z]{58})$/m.exec(run.stdout)?.[1];
      expect(run.stdout).toMatch(/^# created: .*\n# public key: age1[0-9a-z]{58}\nAGE-SECRET-KEY-1[0-9A-Z]{58}\n$/);
      // stderr (where logs go) has the public key and never the secret one.
      expect(run.stderr).toContain(`Public key: ${recipient}`);
      expect(run.stderr).not.toContain('AGE-SECRET-KEY');
    });
  });

  test('fault 11.9: unlock --json prints a JSON object with the error when it fails, and keeps the exit code', async () => {
    await ws.writePlan(configPlan(ws, { local: join(ws.dir, 'repo') }));
    const unknown = await cli(['unlock', 'database', '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: `${ws.plan} has no component 'database'; it has: config`, exitCode: 2 });
    expect(unknown.stderr).toBe(`lifeboat: ${ws.plan} has no component 'database'; it has: config\n`);

    const noPlan = await lifeboat(['--plan', join(ws.dir, 'missing.yaml'), 'unlock', 'config', '--json'], { lockDir: ws.lockDir });
    expect(noPlan.exitCode).toBe(2);
    expect(JSON.parse(noPlan.stdout)).toMatchObject({ error: expect.stringContaining('missing.yaml'), exitCode: 2 });
  });

  test('fault 11.9: prune --dry-run --yes is refused with a sentence, exit 2, nothing deleted', async () => {
    await tree();
    await ws.writePlan(configPlan(ws, { local: join(ws.dir, 'repo') }, '    retention: { local: { keepLast: 1 } }\n    prune: manual\n'));
    expect((await cli(['backup'])).exitCode).toBe(0);
    await writeFile(join(ws.dir, 'etc', 'app.conf'), 'port = 8001\n');
    expect((await cli(['backup'])).exitCode).toBe(0);
    const before = JSON.parse((await cli(['list', '--json'])).stdout) as unknown[];
    expect(before).toHaveLength(2);

    const both = await cli(['prune', '--dry-run', '--yes']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toBe('lifeboat: --dry-run and --yes contradict each other (--dry-run deletes nothing, --yes deletes); nothing was deleted; pass one of them\n');
    expect(both.stdout).toBe('');
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual(before);
  });

  test("fault 11.9: list --json shows a require: any backup's failedDestinations", async () => {
    await tree();
    await writeFile(join(ws.dir, 'a-file'), 'not a folder');
    await ws.writePlan(configPlan(ws, { good: join(ws.dir, 'good'), bad: join(ws.dir, 'a-file', 'repo') }, '    require: any\n'));
    expect((await cli(['backup'])).exitCode).toBe(0);
    const [entry, ...others] = JSON.parse((await cli(['list', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ destinations: ['good'], failedDestinations: [{ name: 'bad', error: expect.stringMatching(/^cannot open destination 'bad'/) }] });
  });
});
