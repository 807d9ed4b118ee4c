import { describe, expect, test } from 'vitest';
import { archiveName, entryName, unsafeEntry } from './archive-path.js';

describe('archive paths', () => {
  test('are absolute paths without the leading /, as GNU tar stores them', () => {
    expect(archiveName('/opt/civicq/.env.production')).toBe('opt/civicq/.env.production');
    expect(archiveName('//srv/x')).toBe('srv/x');
  });

  test('entry names drop ./ prefixes and trailing slashes', () => {
    expect(entryName('opt/civicq/')).toBe('opt/civicq');
    expect(entryName('./data/x')).toBe('data/x');
    expect(entryName('./')).toBe('');
    expect(entryName('.')).toBe('');
  });
});

describe('unsafeEntry', () => {
  test.each([
    [{ path: 'opt/civicq/x', type: 'File' }, undefined],
    [{ path: 'opt/civicq/', type: 'Directory' }, undefined],
    [{ path: 'etc/nginx/sites-enabled/default', type: 'SymbolicLink', linkpath: '/etc/nginx/sites-available/default' }, undefined],
    [{ path: 'a/link', type: 'SymbolicLink', linkpath: '../../../../etc' }, undefined],
    [{ path: 'a/b', type: 'Link', linkpath: 'a/c' }, undefined],
    [{ path: 'a..b/c..', type: 'File' }, undefined],
  ])('accepts %j', (entry, expected) => {
    expect(unsafeEntry(entry)).toBe(expected);
  });

  test.each([
    [{ path: '/etc/passwd', type: 'File' }, 'has the absolute path /etc/passwd'],
    [{ path: '../escape', type: 'File' }, "climbs out with '..'"],
    [{ path: 'a/../../escape', type: 'Directory' }, "climbs out with '..'"],
    [{ path: 'a/..', type: 'File' }, "climbs out with '..'"],
    [{ path: 'h', type: 'Link', linkpath: '/etc/shadow' }, 'hard link (h) to the absolute path /etc/shadow'],
    [{ path: 'h', type: 'Link', linkpath: '../outside' }, "which climbs out with '..'"],
    [{ path: 'h', type: 'Link' }, 'hard link without a target'],
    [{ path: 's', type: 'SymbolicLink' }, 'symbolic link without a target'],
    [{ path: 'a\0b', type: 'File' }, 'NUL byte'],
    [{ path: '', type: 'File' }, 'empty path'],
  ])('refuses %j', (entry, expected) => {
    expect(unsafeEntry(entry)).toContain(expected);
  });
});
