import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralRedis } from '@lifeboat/ephemeral';
import { awkwardSqlFile, databaseFingerprint, differences, fingerprint, seedEveryType, startPostgres, startRedis } from '@lifeboat/testkit';
import { redisClient } from './test/redis-servers.js';
import { redisUrl } from './test/redis-plan.js';

const APP = path.resolve(fileURLToPath(import.meta.url), '../..');
const REPO = path.resolve(APP, '../..');

/**
 * `pnpm package` builds once for this file; the release is unpacked into a
 * prefix outside the repository, where no node_modules can be reached, and
 * run from a folder outside it with a bare environment.
 */
describe('the packaged release (pnpm package), outside the source tree', () => {
  let dir: string;
  let launcher: string;
  const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    spawnSync(launcher, args, { cwd, encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', LIFEBOAT_LOCK_DIR: path.join(dir, 'locks'), ...env } });

  /** A server folder with ./etc/app.conf and a plan that backs it up as `config` (files) to ./backups; `top` and `component` add YAML. */
  const filesServer = async (name: string, add: { top?: string; component?: string } = {}) => {
    const server = path.join(dir, name);
    await mkdir(path.join(server, 'etc'), { recursive: true });
    await writeFile(path.join(server, 'etc/app.conf'), 'secret = 1\n');
    const component = ['type: files', 'paths: [./etc]', 'schedule: on-change', 'rpo: 0', 'rto: 1h', 'destinations: [local]'].map((l) => `    ${l}\n`).join('');
    await writeFile(
      path.join(server, 'lifeboat.yaml'),
      `version: 1\nname: t\ndestinations: { local: { type: fs, path: ./backups } }\n${add.top ?? ''}components:\n  config:\n${component}${add.component ?? ''}`,
    );
    return server;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-release-'));
    const tarball = execFileSync(process.execPath, [path.join(APP, 'scripts/package.mjs'), '--out', path.join(dir, 'out')], { encoding: 'utf8' }).trim();
    const prefix = path.join(dir, 'usr-local');
    await mkdir(prefix);
    execFileSync('tar', ['-xzf', tarball, '-C', prefix]);
    launcher = path.join(prefix, 'bin/lifeboat');
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds a launcher and one bundle (its entry and the chunks it loads on demand), and no node_modules is reachable from it', async () => {
    expect((await readdir(path.join(dir, 'usr-local/lib/lifeboat'))).sort()).toEqual(['BUILD', 'chunks', 'lifeboat.mjs']);
    const chunks = await readdir(path.join(dir, 'usr-local/lib/lifeboat/chunks'));
    expect(chunks.filter((f) => !/\.mjs(\.LEGAL\.txt)?$/.test(f))).toEqual([]);
    expect(chunks.some((f) => f.endsWith('.LEGAL.txt'))).toBe(true);
    for (let d = path.join(dir, 'usr-local/lib/lifeboat'); d !== path.dirname(d); d = path.dirname(d)) expect(existsSync(path.join(d, 'node_modules'))).toBe(false);
    expect(path.relative(REPO, dir).startsWith('..')).toBe(true);
  });

  it('lifeboat --help and plan check load neither the TUI nor the AWS SDK: those chunks load only when used', async () => {
    const lib = path.join(dir, 'usr-local/lib/lifeboat/chunks');
    const heavy: Record<string, string[]> = { ink: [], '@aws-sdk': [] };
    for (const f of (await readdir(lib)).filter((n) => n.endsWith('.mjs'))) {
      const text = await readFile(path.join(lib, f), 'utf8');
      if (text.includes('node_modules/.pnpm/ink@')) heavy.ink!.push(f);
      if (text.includes('node_modules/.pnpm/@aws-sdk+client-')) heavy['@aws-sdk']!.push(f);
    }
    // Each is somewhere in the release, or the check below proves nothing.
    expect(heavy.ink!.length).toBeGreaterThan(0);
    expect(heavy['@aws-sdk']!.length).toBeGreaterThan(0);
    const hooks = path.join(dir, 'hooks.mjs');
    await writeFile(hooks, "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(process.env.MODULES_OUT, url + '\\n'); return next(url, context); }\n");
    await writeFile(path.join(dir, 'trace.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const server = path.join(dir, 'srv-modules');
    await mkdir(server);
    await copyFile(path.join(REPO, 'examples/civicq.yaml'), path.join(server, 'lifeboat.yaml'));
    for (const args of [['--help'], ['plan', 'check']]) {
      const out = path.join(dir, `modules-${args.join('-')}.txt`);
      const traced = run(args, server, { NODE_OPTIONS: `--import ${pathToFileURL(path.join(dir, 'trace.mjs')).href}`, MODULES_OUT: out });
      expect(traced.status, traced.stderr).toBe(0);
      const loaded = (await readFile(out, 'utf8')).split('\n').filter((u) => u.includes('/chunks/')).map((u) => path.basename(u));
      expect(loaded.length).toBeGreaterThan(0);
      expect(loaded.filter((f) => heavy.ink!.includes(f) || heavy['@aws-sdk']!.includes(f))).toEqual([]);
    }
  });

  it("leaves out what never runs under node: zod's locales but English, pg's probe for a Cloudflare Worker", async () => {
    const lib = path.join(dir, 'usr-local/lib/lifeboat/chunks');
    const text = (await Promise.all((await readdir(lib)).filter((n) => n.endsWith('.mjs')).map((f) => readFile(path.join(lib, f), 'utf8')))).join('\n');
    // What stays proves the check can see it.
    expect(text).toMatch(/node_modules\/zod\/v4\/locales\/en\.js/);
    expect(text).not.toMatch(/node_modules\/zod\/v4\/locales\/(de|fr|ja)\.js/);
    expect(text).toMatch(/node_modules\/pg\/lib\/stream\.js/);
    expect(text).not.toContain('isCloudflareRuntime');
  });

  it('lifeboat --version says the version and the git commit it was built from', () => {
    const version = run(['--version'], dir);
    expect(version.status).toBe(0);
    const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(version.stdout).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+ \\(build ${commit}(-dirty)?, \\d{4}-\\d{2}-\\d{2}\\)\\n$`));
  });

  it('the launcher finds its bundle however it is called: by its path, through a link elsewhere (absolute or relative), from its own folder, found on PATH', async () => {
    const links = path.join(dir, 'links');
    await mkdir(path.join(links, 'sbin'), { recursive: true });
    await symlink(launcher, path.join(links, 'lifeboat'));
    await symlink(path.relative(path.join(links, 'sbin'), launcher), path.join(links, 'sbin/lifeboat'));
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
    const calls: Array<[string, string[], string, Record<string, string>]> = [
      [launcher, ['--version'], dir, env],
      [path.join(links, 'lifeboat'), ['--version'], dir, env],
      [path.join(links, 'sbin/lifeboat'), ['--version'], dir, env],
      ['./lifeboat', ['--version'], path.dirname(launcher), env],
      ['sh', ['lifeboat', '--version'], path.dirname(launcher), env],
      ['lifeboat', ['--version'], dir, { ...env, PATH: `${links}:${env.PATH}` }],
    ];
    for (const [command, args, cwd, callEnv] of calls) {
      const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: callEnv });
      expect({ command, status: r.status, stderr: r.stderr }).toEqual({ command, status: 0, stderr: '' });
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+ \(build /);
    }
  });

  it('lifeboat plan check reads examples/civicq.yaml as ./lifeboat.yaml of a server folder', async () => {
    const server = path.join(dir, 'srv');
    await mkdir(server);
    await copyFile(path.join(REPO, 'examples/civicq.yaml'), path.join(server, 'lifeboat.yaml'));
    const check = run(['plan', 'check'], server);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout).toContain(`${path.join(server, 'lifeboat.yaml')}: the plan is valid`);
  });

  it('an encrypted files backup and restore work from the bundle (age, tar, fs inside it)', async () => {
    const server = path.join(dir, 'files');
    await mkdir(server, { recursive: true });
    const keys = run(['keys', 'generate', '--out', path.join(server, 'age.key')], server);
    expect(keys.status).toBe(0);
    const recipient = /age1[0-9a-z]{58}/.exec(keys.stdout)![0];
    await filesServer('files', { top: `encryption: { recipients: [${recipient}], identity: file:age.key }\n` });
    const backup = run(['backup'], server);
    expect(backup.status, backup.stdout + backup.stderr).toBe(0);
    const restore = run(['restore', 'config', '--to-dir', path.join(server, 'restored')], server);
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    expect(execFileSync('cat', [path.join(server, 'restored', path.join(server, 'etc/app.conf').slice(1))], { encoding: 'utf8' })).toBe('secret = 1\n');
  });

  it("the launcher tunes glibc's allocator for Lifeboat's own process only: a hook it runs gets the caller's GLIBC_TUNABLES, or none", async () => {
    const server = await filesServer('tunables', {
      component: `    hooks:\n      beforeBackup: ["env > hook-env.txt; tr '\\\\0' '\\\\n' < /proc/$PPID/environ > lifeboat-env.txt"]\n`,
    });
    const tunables = async (file: string) => (await readFile(path.join(server, file), 'utf8')).split('\n').filter((l) => /^(GLIBC_TUNABLES|LIFEBOAT_CALLER_GLIBC_TUNABLES)=/.test(l));
    const plain = run(['backup'], server);
    expect(plain.status, plain.stdout + plain.stderr).toBe(0);
    // glibc cuts its own copy of the variable after the first tunable once it has read it.
    expect(await tunables('lifeboat-env.txt')).toContain('GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432');
    expect(await tunables('hook-env.txt')).toEqual([]);

    const caller = run(['backup'], server, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
    expect(caller.status, caller.stdout + caller.stderr).toBe(0);
    expect(await tunables('hook-env.txt')).toEqual(['GLIBC_TUNABLES=glibc.malloc.arena_max=2']);
  });

  it('a live PostgreSQL and a live Redis are backed up and restored equal from the bundle (pg_dump, pg_restore, the RDB over replication)', async () => {
    const postgres = await startPostgres();
    const redis = await startRedis();
    const target = await startEphemeralRedis({ path: '/usr/local/bin:/usr/bin:/bin' });
    try {
      const source = await postgres.createDatabase();
      const restored = await postgres.createDatabase();
      const urlOf = (db: string) => `postgres://${encodeURIComponent(postgres.user)}:${encodeURIComponent(postgres.password)}@${postgres.host}:${postgres.port}/${db}`;
      const client = new pg.Client({ connectionString: urlOf(source.name) });
      await client.connect();
      await client.query(await readFile(awkwardSqlFile, 'utf8'));
      await client.end();
      const cache = redisClient(redis);
      const seeded = await seedEveryType(cache, 2_000);
      const redisBefore = await fingerprint(cache);
      cache.disconnect();

      const server = path.join(dir, 'live');
      await mkdir(server);
      await writeFile(
        path.join(server, 'lifeboat.yaml'),
        `version: 1
name: live
destinations: { local: { type: fs, path: ./backups } }
components:
  database: { type: postgres, url: env:DATABASE_URL, schedule: "0 2 * * *", rpo: 24h, rto: 1h, destinations: [local], verify: { tables: [awkward] } }
  cache: { type: redis, url: env:REDIS_URL, schedule: "0 3 * * *", rpo: 24h, rto: 1h, destinations: [local] }
`,
      );
      // Secrets only through the environment, as on a server; the bundle finds pg_dump and redis tooling on PATH.
      const env = { DATABASE_URL: urlOf(source.name), REDIS_URL: redisUrl(redis, redis.password), RESTORE_URL: urlOf(restored.name) };
      const backup = run(['backup'], server, env);
      expect(backup.status, backup.stdout + backup.stderr).toBe(0);
      expect(backup.stdout + backup.stderr).not.toContain(postgres.password);
      const list = run(['list', '--json'], server, env);
      expect(list.status, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as Array<{ component: string }>).map((e) => e.component).sort()).toEqual(['cache', 'database']);

      // With node's own modules listed at exit: pg's driver runs, and node's fetch (undici) is not loaded for it
      // (scripts/package.mjs leaves out pg's Cloudflare probe, whose `new Response()` would load it).
      const builtins = path.join(dir, 'builtins.mjs');
      await writeFile(builtins, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BUILTINS_OUT, process.moduleLoadList.join('\\n')));\n");
      const builtinsOut = path.join(dir, 'restore-builtins.txt');
      const pgRestore = run(['restore', 'database', '--to', 'env:RESTORE_URL'], server, { ...env, NODE_OPTIONS: `--import ${pathToFileURL(builtins).href}`, BUILTINS_OUT: builtinsOut });
      expect(pgRestore.status, pgRestore.stdout + pgRestore.stderr).toBe(0);
      expect(await databaseFingerprint(urlOf(restored.name))).toEqual(await databaseFingerprint(urlOf(source.name)));
      expect((await readFile(builtinsOut, 'utf8')).split('\n').filter((m) => /undici/.test(m))).toEqual([]);

      const redisRestore = run(['restore', 'cache', '--to', target.url], server, env);
      expect(redisRestore.status, redisRestore.stdout + redisRestore.stderr).toBe(0);
      const loaded = redisClient(target);
      try {
        expect(differences(redisBefore, await fingerprint(loaded))).toEqual([]);
        expect(redisBefore.size).toBe(seeded.total);
      } finally {
        loaded.disconnect();
      }
    } finally {
      await target.stop();
      await redis.stop();
      await postgres.stop();
    }
  }, 180_000);
});
