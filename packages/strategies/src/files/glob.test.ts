import { describe, expect, test } from 'vitest';
import { PathPattern, globProblem, globToRegExp, hasGlob } from './glob.js';

const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path);

describe('globToRegExp', () => {
  test.each([
    ['*.log', 'app.log', true],
    ['*.log', '.log', true],
    ['*.log', 'app.log.1', false],
    ['*', 'a/b', false],
    ['.env*', '.env.production', true],
    ['.env*', 'env', false],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['?', '/', false],
    ['/etc/cron.d/civicq-*', '/etc/cron.d/civicq-backup', true],
    ['/etc/cron.d/civicq-*', '/etc/cron.d/civicq-x/y', false],
    ['/a/**', '/a/b', true],
    ['/a/**', '/a/b/c/d', true],
    ['/a/**', '/a', false],
    ['/a/**/b', '/a/b', true],
    ['/a/**/b', '/a/x/y/b', true],
    ['/a/**/b', '/a/xb', false],
    ['**/cache', 'cache', true],
    ['**/cache', 'x/y/cache', true],
    ['**/cache', 'x/y/cached', false],
    ['a**b', 'axxb', true],
    ['a**b', 'ax/xb', false],
    ['[abc].txt', 'b.txt', true],
    ['[abc].txt', 'd.txt', false],
    ['[!abc].txt', 'd.txt', true],
    ['[^abc].txt', 'a.txt', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[]]', ']', true],
    ['[a-]', '-', true],
    ['*.{key,pem}', 'tls.pem', true],
    ['*.{key,pem}', 'tls.crt', false],
    ['{a,b{c,d}}', 'bd', true],
    ['{a,b{c,d}}', 'b', false],
    ['{**/x,y}', 'p/q/x', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['Grüße/*.txt', 'Grüße/日本.txt', true],
    ['(x)+.txt', '(x)+.txt', true],
    ['a.b', 'axb', false],
  ])('%s against %s is %s', (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });

  test('refuses what it cannot compile, saying why', () => {
    expect(globProblem('[abc')).toMatch(/never closed/);
    expect(globProblem('{a,b')).toMatch(/never closed/);
    expect(globProblem('a\\')).toMatch(/lone \\/);
    expect(globProblem('[a/b]')).toMatch(/holds a \//);
    expect(globProblem('')).toMatch(/empty/);
    expect(globProblem('[z-a]')).toBeDefined();
    expect(globProblem('/opt/**/*.{key,pem}')).toBeUndefined();
  });

  test('hasGlob tells globs from plain paths', () => {
    expect(hasGlob('/etc/cron.d/civicq-*')).toBe(true);
    expect(hasGlob('/opt/civicq/nginx/nginx.conf')).toBe(false);
    expect(hasGlob('/opt/{a,b}')).toBe(true);
  });
});

describe('PathPattern', () => {
  test('a pattern without / matches names at any depth', () => {
    const p = new PathPattern('*.log');
    expect(p.anchor).toBe('name');
    expect(p.matches('/srv/app/logs/a.log', 'logs/a.log')).toBe(true);
    expect(p.matches('/srv/app/a.log.gz', 'a.log.gz')).toBe(false);
  });

  test('a pattern starting with / matches absolute paths', () => {
    const p = new PathPattern('/srv/app/cache/**');
    expect(p.anchor).toBe('absolute');
    expect(p.matches('/srv/app/cache/x/y', 'cache/x/y')).toBe(true);
    expect(p.matches('/srv/other/cache/x', 'cache/x')).toBe(false);
  });

  test('any other pattern matches the path below the listed folder', () => {
    const p = new PathPattern('cache/**');
    expect(p.anchor).toBe('relative');
    expect(p.matches('/srv/app/cache/x', 'cache/x')).toBe(true);
    expect(p.matches('/srv/app/sub/cache/x', 'sub/cache/x')).toBe(false);
    expect(new PathPattern('./cache/*').matches('/srv/app/cache/x', 'cache/x')).toBe(true);
    expect(new PathPattern('**/tmp').matches('/srv/app/a/tmp', 'a/tmp')).toBe(true);
    // The listed folder itself has no relative path: it is never matched this way.
    expect(new PathPattern('**/*').matches('/srv/app', '')).toBe(false);
  });
});
