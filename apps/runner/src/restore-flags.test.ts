import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { flagOf, restoreSurfaceOf } from '@lifeboat/core';
import { strategies } from '@lifeboat/strategies';
import { restoreFlags } from './commands/restore-help.js';
import { lifeboat } from './test/harness.js';

const lockDir = join(tmpdir(), 'lifeboat-restore-flags-test-locks');

/** A plan with a postgres and a files component whose destination holds nothing (it is never read). */
async function plan(): Promise<string> {
  const dir = scratchDir('lifeboat-restore-flags-');
  const file = join(dir, 'lifeboat.yaml');
  await writeFile(
    file,
    [
      'version: 1',
      'name: t',
      'destinations:',
      '  local: { type: fs, path: never-read }',
      'components:',
      '  database: { type: postgres, url: env:DATABASE_URL, schedule: "0 2 * * *", rpo: 24h, rto: 4h, destinations: [local] }',
      '  config: { type: files, paths: [/etc/app], schedule: "0 2 * * *", rpo: 24h, rto: 4h, destinations: [local] }',
      '',
    ].join('\n'),
  );
  return file;
}

describe('restore flags come from the strategies’ restore surfaces', () => {
  it('--help says what --to and each option mean for each kind that takes them', async () => {
    const help = (await lifeboat(['restore', '--help'], { lockDir })).stdout.replace(/\s+/g, ' ');
    for (const strategy of strategies) {
      const surface = restoreSurfaceOf(strategy);
      expect(help).toContain(`${strategy.kind}: ${surface.to.description}`);
      for (const option of surface.options) {
        expect(help).toContain(flagOf(option.name));
        expect(help).toContain(`${strategy.kind}: ${option.description}`);
      }
    }
  });

  it('a list option is a repeatable flag: each --table is one name, as typed', () => {
    const table = restoreFlags(strategies).find((f) => f.option.name === 'table')!;
    expect(table.flags).toBe('--table <schema.table>');
    expect(table.parse!('public.users', undefined)).toEqual(['public.users']);
    expect(table.parse!('billing.a,b', ['public.users'])).toEqual(['public.users', 'billing.a,b']);
  });

  it('a flag the component’s kind does not take is one sentence and exit 2, before any destination is read', async () => {
    const file = await plan();
    const inPlace = await lifeboat(['--plan', file, 'restore', 'database', '--to', 'env:X', '--in-place'], { lockDir });
    expect(inPlace.exitCode).toBe(2);
    expect(inPlace.stdout + inPlace.stderr).toContain('--in-place is not a restore option of postgres components; they take --to, --clean, --jobs, --to-time');
    expect(inPlace.stdout + inPlace.stderr).not.toContain('no complete backup');

    // A point in time for a component without pitr: refused as such, though it has no backup to choose from.
    const point = await lifeboat(['--plan', file, 'restore', 'database', '--to-latest', '--to', 'ephemeral'], { lockDir });
    expect(point.stdout + point.stderr).toContain('components.database has no pitr:');
    expect(point.exitCode).toBe(2);

    const clean = await lifeboat(['--plan', file, 'restore', 'config', '--to', 'out', '--clean', '--yes'], { lockDir });
    expect(clean.exitCode).toBe(2);
    expect(clean.stdout + clean.stderr).toContain('--clean is not a restore option of files components; they take --to, --to-dir, --in-place, --owner');

    const jobs = await lifeboat(['--plan', file, 'restore', 'config', '--to', 'out', '--jobs', '2'], { lockDir });
    expect(jobs.exitCode).toBe(2);
    expect(jobs.stdout + jobs.stderr).toContain('--jobs is not a restore option of files components');
  });

  it('two kinds that share an option name must share its value type (the flag is parsed before the kind is known)', () => {
    const kind = (name: string, type: 'path' | 'owner') => ({ kind: name, restoreSurface: { ...restoreSurfaceOf({}), options: [{ name: 'toDir', type, valueName: 'dir', description: name }] } });
    expect(restoreFlags([kind('a', 'path'), kind('b', 'path')]).map((f) => [f.flags, f.description])).toEqual([['--to-dir <dir>', 'a: a; b: b']]);
    expect(() => restoreFlags([kind('a', 'path'), kind('b', 'owner')])).toThrow('restore option toDir of b is a owner <dir>, but of a a path <dir>');
    expect(() => restoreFlags(strategies)).not.toThrow();
  });
});
