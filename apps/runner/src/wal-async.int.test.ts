import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { lifeboat, postgresPlan } from './test/harness.js';
import { BUILT_CLI, archivedEntry, archiverDone, closeSegment, query, serverOwner, sharedDir, startArchivingPostgres, until } from './test/wal-server.js';

/** The built CLI as archive_command runs it (bin.ts, so the lean path and the detached pusher are the real ones). */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUILT_CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ exitCode: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('pitr.async: wal push spools, the pusher delivers (real PostgreSQL 15 and the built CLI)', () => {
  let dir: string;
  let lockDir: string;
  let keyFile: string;
  let recipient: string;
  const owner = serverOwner();
  const env = () => ({ LIFEBOAT_LOCK_DIR: lockDir });

  /** A plan whose database archives through a spool; the identity is only in the plan when asked (restores). */
  const asyncPlan = (opts: { destination: string; spool: string; maxSize?: string; identity?: boolean }) =>
    postgresPlan({
      destinations: { archive: opts.destination },
      extra: `    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, async: { spool: ${opts.spool}${opts.maxSize ? `, maxSize: ${opts.maxSize}` : ''} } }\n`,
    }).replace('name: test\n', `name: test\nencryption:\n  recipients: [${recipient}]\n${opts.identity ? `  identity: file:${keyFile}\n` : ''}`);

  const spooledNames = async (spool: string): Promise<string[]> => {
    const base = join(spool, 'database');
    const names: string[] = [];
    for (const cluster of (await readdir(base).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))) {
      names.push(...(await readdir(join(base, cluster))).filter((n) => /^[0-9A-F]{24}$/.test(n)));
    }
    return names.sort();
  };
  const decrypt = (path: string) => execFileSync('sh', ['-c', `age -d -i ${keyFile} ${path} | gunzip`], { maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    keyFile = join(dir, 'age.key');
    recipient = (await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir })).stdout.trim();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a server archiving through the spool', () => {
    let server: EphemeralPostgres;
    let spool: string;
    let archive: string;

    beforeAll(async () => {
      spool = join(dir, 'spool');
      archive = join(dir, 'archive');
      const plan = join(dir, 'async.yaml');
      await writeFile(plan, asyncPlan({ destination: archive, spool }), { mode: 0o644 });
      server = await startArchivingPostgres(plan);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
    });

    test('segments go through the spool to the destination: PostgreSQL hears 0, the pusher stores them encrypted, the spool empties', async () => {
      const originals = new Map<string, Buffer>();
      for (let i = 0; i < 3; i++) {
        const name = await closeSegment(server);
        // Read at once: after a checkpoint PostgreSQL may recycle the file.
        originals.set(name, await readFile(join(server.dataDir, 'pg_wal', name)));
      }
      const names = [...originals.keys()];
      await archiverDone(server, names[2]!);
      for (const name of names) {
        const { path, entry } = await until(`${name} delivered`, () => archivedEntry(archive, 'database', name));
        const stored = join(path, '..', (entry.stored as { name: string }).name);
        expect(decrypt(stored).equals(originals.get(name)!)).toBe(true);
        expect(entry).toMatchObject({ file: name, bytes: 16 * 1024 * 1024 });
      }
      await until('the spool emptied', async () => ((await spooledNames(spool)).length === 0 ? true : undefined));
      const [stats] = await query<{ failed: string }>(server, 'SELECT failed_count AS failed FROM pg_stat_archiver');
      expect(Number(stats!.failed)).toBe(0);
      const backlog = await lifeboat(['--plan', join(dir, 'async.yaml'), 'wal', 'backlog', 'database', '--json'], { lockDir });
      expect(backlog.exitCode).toBe(0);
      expect(JSON.parse(backlog.stdout)).toMatchObject({ files: 0, bytes: 0, failing: 0, spool: join(spool, 'database') });
    }, 120_000);
  });

  test('a full spool: wal push fails and PostgreSQL retries (failed_count grows, nothing lost); once the pusher makes room, every segment arrives', async () => {
    const spool = join(dir, 'full-spool');
    // The destination's folder is a file: the pusher cannot deliver (ENOTDIR for every user) until it is a folder.
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, '');
    const archive = join(blocked, 'archive');
    const plan = join(dir, 'full.yaml');
    await writeFile(plan, asyncPlan({ destination: archive, spool, maxSize: '20MiB' }), { mode: 0o644 });
    const server = await startArchivingPostgres(plan);
    try {
      const first = await closeSegment(server);
      await until(`${first} spooled`, async () => ((await spooledNames(spool)).includes(first) ? true : undefined));
      const second = await closeSegment(server);
      const failing = await until('the archiver failing on the second segment', async () => {
        const [row] = await query<{ failed: string; last_failed_wal: string | null }>(server, 'SELECT failed_count AS failed, last_failed_wal FROM pg_stat_archiver');
        return row && Number(row.failed) >= 2 && row.last_failed_wal === second ? row : undefined;
      });
      expect(Number(failing.failed)).toBeGreaterThanOrEqual(2);
      // Not lost: PostgreSQL still holds it, waiting (.ready), and the spool holds only the first.
      expect(await readdir(join(server.dataDir, 'pg_wal', 'archive_status'))).toContain(`${second}.ready`);
      expect(await spooledNames(spool)).toEqual([first]);
      const backlog = await lifeboat(['--plan', plan, 'wal', 'backlog', 'database'], { lockDir });
      expect(backlog.exitCode).toBe(3);
      expect(backlog.stdout).toContain(`FAILING: 1 file(s); last: ${first}`);
      // A push by hand says why, in one sentence.
      const byHand = await cli(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${second}`], { cwd: server.dataDir, env: env() });
      expect(byHand.exitCode).toBe(1);
      expect(byHand.stderr).toContain(`the WAL spool of database (${join(spool, 'database')}) holds 1 file(s), 16.0 MiB of its maxSize 20.0 MiB (${plan}: components.database.pitr.async.maxSize), so ${second} is not taken; PostgreSQL keeps it and retries`);

      // Room made: the destination works again; the pusher (retrying) delivers the first, PostgreSQL's retry spools the second.
      await rm(blocked);
      await mkdir(blocked);
      if (owner) await chown(blocked, owner.uid, owner.gid);
      await until(`${first} delivered`, () => archivedEntry(archive, 'database', first));
      const third = await closeSegment(server);
      await archiverDone(server, third);
      for (const name of [first, second, third]) await until(`${name} delivered`, () => archivedEntry(archive, 'database', name));
      await until('the spool emptied', async () => ((await spooledNames(spool)).length === 0 ? true : undefined));
    } finally {
      await server.stop();
    }
  }, 180_000);

  describe('by hand, on fake data directories (no server)', () => {
    const sysid = 7442512345678901234n;
    /** A 16 MiB segment of incompressible bytes: delivering it takes long enough to be killed midway. */
    const segment = (timeline = 1) => {
      const bytes = randomBytes(16 * 1024 * 1024);
      bytes.writeUInt16LE(0xd110, 0);
      bytes.writeUInt16LE(0x0002, 2);
      bytes.writeUInt32LE(timeline, 4);
      bytes.writeBigUInt64LE(sysid, 24);
      bytes.writeUInt32LE(16 * 1024 * 1024, 32);
      return bytes;
    };
    const name = (n: number) => `00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}`;

    test('same content pushed again is 0 and different content is refused; wal get finds a spooled-only segment; SIGKILL of the pusher mid-delivery leaves nothing partial and the next pusher delivers everything', async () => {
      const spool = join(dir, 'hand-spool');
      const archive = join(dir, 'hand-archive');
      const plan = join(dir, 'hand.yaml');
      await writeFile(plan, asyncPlan({ destination: archive, spool, identity: true }));
      const data = join(dir, 'hand-data');
      await mkdir(join(data, 'pg_wal'), { recursive: true });
      // A live process holds the pusher lock, so the pushes spool without starting a pusher: the test starts it.
      await mkdir(join(spool, 'database'), { recursive: true });
      const lock = join(spool, 'database', 'pusher.lock');
      await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'test', operation: 'test holds it', startedAt: new Date().toISOString() }));

      const segments = new Map<string, Buffer>();
      for (let i = 1; i <= 8; i++) {
        const bytes = segment();
        segments.set(name(i), bytes);
        await writeFile(join(data, 'pg_wal', name(i)), bytes);
        const pushed = await cli(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${name(i)}`], { cwd: data, env: env() });
        expect(pushed.stderr).toBe('');
        expect(pushed.exitCode).toBe(0);
      }
      expect(await spooledNames(spool)).toEqual([...segments.keys()]);

      // The same file again (PostgreSQL retrying after a crash): 0. Different bytes under its name: refused, nothing overwritten.
      const again = await cli(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${name(1)}`], { cwd: data, env: env() });
      expect(again.exitCode).toBe(0);
      expect(again.stderr).toContain(`wal push ${name(1)}: already in the spool with the same content`);
      const other = join(dir, 'hand-other');
      await mkdir(join(other, 'pg_wal'), { recursive: true });
      await writeFile(join(other, 'pg_wal', name(1)), segment());
      const clash = await cli(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${name(1)}`], { cwd: other, env: env() });
      expect(clash.exitCode).toBe(1);
      expect(clash.stderr).toContain(`${name(1)} is already in the WAL spool (${join(spool, 'database', String(sysid), name(1))}) with different content`);
      expect(clash.stderr).toContain('nothing was overwritten');

      // A restore on this host right away: wal get hands over a segment that is only in the spool.
      const out = join(dir, 'hand-restored');
      const got = await cli(['--plan', plan, 'wal', 'get', 'database', name(2), out], { env: env() });
      expect(got.exitCode).toBe(0);
      expect((await readFile(out)).equals(segments.get(name(2))!)).toBe(true);

      // The pusher, killed once it has delivered one segment and is in the middle of the others.
      await rm(lock);
      const pusher = spawn(process.execPath, [BUILT_CLI, '--plan', plan, 'wal', 'pusher', 'database'], { env: { ...process.env, ...env() }, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => pusher.on('exit', (_code, signal) => resolve(signal)));
      await until('a first segment delivered', async () => {
        for (const n of segments.keys()) if (await archivedEntry(archive, 'database', n)) return true;
        return undefined;
      });
      pusher.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const waiting = await spooledNames(spool);
      expect(waiting.length).toBeGreaterThan(0);
      // Nothing partial is visible: every entry there is complete, and each segment is readable, from the archive or the spool.
      for (const [n, bytes] of segments) {
        const entry = await archivedEntry(archive, 'database', n);
        if (entry) expect(decrypt(join(entry.path, '..', (entry.entry.stored as { name: string }).name)).equals(bytes)).toBe(true);
        else expect(waiting).toContain(n);
      }

      const rerun = await cli(['--plan', plan, 'wal', 'pusher', 'database', '--idle-exit', '1s'], { env: env() });
      expect(rerun.exitCode).toBe(0);
      expect(await spooledNames(spool)).toEqual([]);
      for (const [n, bytes] of segments) {
        const fetched = join(dir, `hand-${n}`);
        const get = await cli(['--plan', plan, 'wal', 'get', 'database', n, fetched], { env: env() });
        expect(get.stderr).toContain("from archive, sha256 checked");
        expect((await readFile(fetched)).equals(bytes)).toBe(true);
      }
      const verify = await cli(['--plan', plan, 'wal', 'verify', 'database', '--json'], { env: env() });
      expect(verify.exitCode).toBe(0);
      expect(JSON.parse(verify.stdout).destinations[0].timelines[0]).toMatchObject({ segments: 8, missing: [] });
    }, 240_000);
  });
});
