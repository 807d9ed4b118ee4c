import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findExecutable, findPostgresBinDir } from './binaries.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lifeboat-binaries-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tool(dir: string, name: string, mode = 0o755): string {
  mkdirSync(join(root, dir), { recursive: true });
  const file = join(root, dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, mode);
  return file;
}

function serverDir(dir: string): string {
  tool(dir, 'postgres');
  tool(dir, 'initdb');
  return join(root, dir);
}

describe('findExecutable', () => {
  test('returns the first executable on the PATH, skipping empty entries, folders and plain files', () => {
    tool('a', 'psql', 0o644);
    mkdirSync(join(root, 'b', 'psql'), { recursive: true });
    const wanted = tool('c', 'psql');
    tool('d', 'psql');
    const path = ['', join(root, 'a'), join(root, 'b'), join(root, 'c'), join(root, 'd')].join(':');
    expect(findExecutable('psql', path)).toBe(wanted);
  });

  test('returns undefined when no folder has it', () => {
    expect(findExecutable('psql', `${join(root, 'nope')}:`)).toBeUndefined();
  });
});

describe('findPostgresBinDir', () => {
  const noInstall = () => join(root, 'no-install-root');

  test('prefers the given folder when it has postgres and initdb', () => {
    const preferred = serverDir('preferred');
    const onPath = serverDir('on-path');
    expect(findPostgresBinDir(preferred, onPath, noInstall())).toBe(preferred);
  });

  test('passes over a preferred folder without initdb and looks on the PATH', () => {
    tool('half', 'postgres');
    const onPath = serverDir('on-path');
    expect(findPostgresBinDir(join(root, 'half'), `/nonexistent:${onPath}`, noInstall())).toBe(onPath);
  });

  test('follows a symlinked initdb on the PATH to the real install', () => {
    const real = serverDir('lib/postgresql/16/bin');
    mkdirSync(join(root, 'local-bin'));
    symlinkSync(join(real, 'initdb'), join(root, 'local-bin', 'initdb'));
    symlinkSync(join(real, 'postgres'), join(root, 'local-bin', 'postgres'));
    expect(findPostgresBinDir(undefined, join(root, 'local-bin'), noInstall())).toBe(real);
  });

  test('falls back to the highest complete version under the install root', () => {
    serverDir('pg/9.6/bin');
    const wanted = serverDir('pg/13/bin');
    tool('pg/17/bin', 'postgres'); // no initdb: a client-only leftover
    mkdirSync(join(root, 'pg', 'notaversion', 'bin'), { recursive: true });
    expect(findPostgresBinDir(undefined, '', join(root, 'pg'))).toBe(wanted);
  });

  test('returns undefined when nothing has the server binaries', () => {
    expect(findPostgresBinDir(join(root, 'nope'), join(root, 'nope'), noInstall())).toBeUndefined();
  });
});
