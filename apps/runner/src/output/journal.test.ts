import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eachWorkspace, filesPlan, lifeboat } from '../test/harness.js';
import { isJournal } from './journal.js';

const BIN = path.resolve(fileURLToPath(import.meta.url), '../../../dist/bin.js');

describe('logs on journald', () => {
  const ws = eachWorkspace();

  it('isJournal: only the descriptor whose device:inode JOURNAL_STREAM names', async () => {
    const file = path.join(ws.dir, 'stream');
    await writeFile(file, '');
    const fd = openSync(file, 'r');
    try {
      const { dev, ino } = statSync(file);
      expect(isJournal(fd, `${dev}:${ino}`)).toBe(true);
      expect(isJournal(fd, `${dev}:${ino + 1}`)).toBe(false);
      expect(isJournal(fd, undefined)).toBe(false);
      expect(isJournal(fd, 'garbage')).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it('each line carries its priority: info <6>, a failure <3>; with the run id and component', async () => {
    const source = path.join(ws.dir, 'etc');
    await mkdir(source);
    await writeFile(path.join(source, 'app.conf'), 'a = 1\n');
    await ws.writePlan(filesPlan({ destinations: { local: path.join(ws.dir, 'backups') }, paths: [source] }));
    const journal = { stdout: true, stderr: true };
    const ok = await lifeboat(['--plan', ws.plan, 'backup'], { lockDir: ws.lockDir, journal });
    expect(ok.exitCode).toBe(0);
    const lines = ok.stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.startsWith('<6>{'))).toBe(true);
    const events = lines.map((l) => JSON.parse(l.slice(3)) as { runId?: string; component?: string; event: string });
    const runId = events[0]!.runId;
    expect(runId).toMatch(/\S/);
    expect(events.every((e) => e.runId === runId)).toBe(true);
    expect(events.find((e) => e.event === 'committed')?.component).toBe('config');

    await writeFile(ws.plan, filesPlan({ destinations: { local: path.join(ws.dir, 'backups') }, paths: [path.join(ws.dir, 'gone')] }));
    const failed = await lifeboat(['--plan', ws.plan, 'backup'], { lockDir: ws.lockDir, journal });
    expect(failed.exitCode).toBe(1);
    const failure = failed.stdout.split('\n').find((l) => l.includes('"event":"failed"'));
    expect(failure).toMatch(/^<3>\{.*"component":"config"/);
  });

  it('a warning on stderr is <4>; without the journal, no prefixes', async () => {
    await ws.writePlan(filesPlan({ destinations: { local: path.join(ws.dir, 'backups') }, paths: [ws.dir] }));
    const run = await lifeboat(['--plan', ws.plan, 'notify', '--unit', 'lifeboat-backup-config.service'], { lockDir: ws.lockDir, journal: { stdout: true, stderr: true } });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/^<4>lifeboat: warning: the plan .* has no notify channels/);
    const plain = await lifeboat(['--plan', ws.plan, 'notify', '--unit', 'lifeboat-backup-config.service'], { lockDir: ws.lockDir });
    expect(plain.stderr).toMatch(/^lifeboat: warning: /);
  });

  it('the built CLI detects the journal from JOURNAL_STREAM (stdout and stderr to a file standing in for it)', async () => {
    const out = path.join(ws.dir, 'journal');
    await writeFile(out, '');
    const fd = openSync(out, 'a');
    try {
      const { dev, ino } = statSync(out);
      const run = spawnSync(process.execPath, [BIN, '--plan', path.join(ws.dir, 'missing.yaml'), 'list'], {
        stdio: ['ignore', fd, fd],
        env: { PATH: process.env.PATH, JOURNAL_STREAM: `${dev}:${ino}`, LIFEBOAT_LOCK_DIR: ws.lockDir },
      });
      expect(run.status).toBe(2);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out, 'utf8')).toMatch(/^<3>lifeboat: plan file .*missing\.yaml not found/);
  });
});
