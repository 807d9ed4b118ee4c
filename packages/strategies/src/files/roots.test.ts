import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { resolveRoots } from './roots.js';

describe('resolveRoots', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-roots-'));
    await mkdir(join(dir, 'cron.d'));
    for (const name of ['civicq-backup', 'civicq-prune', 'other']) await writeFile(join(dir, 'cron.d', name), '');
    await mkdir(join(dir, 'a/b/c'), { recursive: true });
    await writeFile(join(dir, 'a/x.pem'), '');
    await writeFile(join(dir, 'a/b/c/y.pem'), '');
    await writeFile(join(dir, 'plain.conf'), '');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('relative paths are relative to the plan folder; duplicates collapse', async () => {
    const { roots } = await resolveRoots([{ written: 'plain.conf', optional: false }, { written: join(dir, 'plain.conf'), optional: false }, { written: './a/', optional: false }], dir);
    expect(roots).toEqual([join(dir, 'a'), join(dir, 'plain.conf')]);
  });

  test('globs expand like the guide\'s /etc/cron.d/civicq-*', async () => {
    const { roots } = await resolveRoots([{ written: 'cron.d/civicq-*', optional: false }], dir);
    expect(roots).toEqual([join(dir, 'cron.d/civicq-backup'), join(dir, 'cron.d/civicq-prune')]);
  });

  test('** matches any depth of folders, including none', async () => {
    const { roots } = await resolveRoots([{ written: `${dir}/a/**/*.pem`, optional: false }], dir);
    expect(roots).toEqual([join(dir, 'a/b/c/y.pem'), join(dir, 'a/x.pem')]);
  });

  test('a missing path fails with the path in the sentence; all missing paths are named', async () => {
    await expect(resolveRoots([{ written: 'nope.conf', optional: false }], dir)).rejects.toThrow(
      `${join(dir, 'nope.conf')} does not exist; nothing was backed up — fix the path, or mark it { path: …, optional: true } if it may be absent`,
    );
    await expect(resolveRoots([{ written: 'nope', optional: false }, { written: 'cron.d/none-*', optional: false }], dir)).rejects.toThrow(
      `2 listed paths do not exist: ${join(dir, 'nope')}, ${join(dir, 'cron.d/none-*')} (a glob that matches nothing counts as missing)`,
    );
  });

  test('a missing optional path is recorded, not an error', async () => {
    const result = await resolveRoots([{ written: 'plain.conf', optional: false }, { written: 'ssl', optional: true }], dir);
    expect(result).toEqual({ roots: [join(dir, 'plain.conf')], missingOptional: [join(dir, 'ssl')] });
  });

  test('a dangling symlink exists (it is archived as a link)', async () => {
    await symlink('/nonexistent/target', join(dir, 'dangling'));
    expect((await resolveRoots([{ written: 'dangling', optional: false }], dir)).roots).toEqual([join(dir, 'dangling')]);
  });

  test('the whole file system is refused', async () => {
    await expect(resolveRoots([{ written: '/', optional: false }], dir)).rejects.toThrow(/whole file system/);
  });
});
