/**
 * Restore of a Redis backup. Redis loads an RDB only from its own disk at
 * start, so there are two targets:
 *
 * - `--to-dir DIR` writes DIR/dump.rdb atomically (owner: `--owner`, else the
 *   file it replaces, else DIR's; mode: the replaced file's, else 0600), for
 *   the server to load when the plan's hooks.afterRestore starts it again
 *   (hooks.beforeRestore stops it: a running Redis would overwrite the file
 *   with its own data at shutdown). Replacing an existing dump.rdb needs --yes.
 *   Checks: the CRC64 of what was written, and the keys it holds.
 *
 * - `--to ephemeral` loads the backup into a throwaway local redis-server
 *   (unix socket only) and compares its key counts per database with the
 *   manifest: the drill that proves the backup loads. Combined with
 *   `--to-dir`, it loads the file just written there.
 *
 * `--to redis://…` is refused with that explanation: there is no way to push
 * an RDB into a running server, and checking DBSIZE on the real server only
 * makes sense after hooks.afterRestore has started it, which the engine does
 * after a strategy's checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, type ContentEntry, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import { ARTIFACT } from './backup.js';
import type { RedisConfig } from './config.js';
import { keyspaceOf, parseInfo, type RedisFacts } from './facts.js';
import { checkTargetDir, placeDump, type PlacedDump } from './dump-file.js';
import { startScratchRedis } from './scratch-server.js';

export const EPHEMERAL = 'ephemeral';

/** The RDB artifact's name as the strategy stored it (an encrypted copy adds `.age`; ctx.open takes either). */
export function artifactName(ctx: RestoreContext<RedisConfig>): string {
  const names = ctx.manifest.artifacts.map((a) => a.name.replace(/\.age$/, ''));
  const name = names.find((n) => n === ARTIFACT.compressed || n === ARTIFACT.plain);
  if (!name) throw new UsageError(`backup ${ctx.manifest.id} holds no RDB (artifacts: ${names.join(', ') || 'none'})`);
  return name;
}

export function checkRequest(ctx: RestoreContext<RedisConfig>): { dir?: string; ephemeral: boolean } {
  const { request } = ctx;
  const to = request.target?.trim();
  if (to !== undefined && to !== EPHEMERAL) {
    throw new UsageError(
      `--to for redis takes only "${EPHEMERAL}" (a throwaway local redis-server loads the backup and its key counts are checked): Redis cannot load an RDB sent over the network. ` +
        `To restore a server, give its data folder with --to-dir, with hooks.beforeRestore/afterRestore stopping and starting it; then compare redis-cli DBSIZE with lifeboat list`,
    );
  }
  if (request.inPlace) throw new UsageError('--in-place is for files components; a Redis backup is restored with --to-dir (the server\u2019s data folder)');
  if (request.clean) throw new UsageError('--clean does not apply to redis: dump.rdb replaces the whole dataset; --yes confirms replacing an existing dump.rdb');
  if (request.owner && !request.targetDir) throw new UsageError('--owner applies to the dump.rdb written by --to-dir');
  const ephemeral = to === EPHEMERAL;
  if (!request.targetDir && !ephemeral) {
    throw new UsageError(`restore of a redis component needs --to-dir DIR (write DIR/dump.rdb for the server to load) or --to ${EPHEMERAL} (load it into a throwaway local redis-server and check it)`);
  }
  return { ...(request.targetDir ? { dir: request.targetDir } : {}), ephemeral };
}

/** Runs before the plan's beforeRestore hooks (the guide's "stop Redis"): a bad request changes nothing. */
export async function preflightRedis(ctx: RestoreContext<RedisConfig>): Promise<void> {
  const { dir } = checkRequest(ctx);
  if (dir !== undefined) await checkTargetDir(dir, { yes: ctx.request.yes });
}

export async function restoreRedis(ctx: RestoreContext<RedisConfig>): Promise<RestoreOutcome> {
  const { dir, ephemeral } = checkRequest(ctx);
  const name = artifactName(ctx);
  const facts = ctx.manifest.facts as Partial<RedisFacts>;
  const what = `${name} of backup ${ctx.manifest.id}`;

  if (dir !== undefined) {
    await checkTargetDir(dir, { yes: ctx.request.yes });
    ctx.step(`writing dump.rdb into ${dir}`);
    const placed = await placeDump(await ctx.open(name), dir, { ...(ctx.request.owner ? { owner: ctx.request.owner } : {}), yes: ctx.request.yes, what });
    ctx.step(`${placed.path}: ${placed.uid}:${placed.gid}, mode ${placed.mode.toString(8).padStart(4, '0')}${placed.replaced ? ', replaced the previous dump.rdb' : ''}`);
    const checks = fileChecks(placed, facts);
    if (ephemeral) checks.push(...(await loadAndCompare(ctx, placed.path, facts)));
    return { target: placed.path, checks };
  }

  const scratch = await mkdtemp(join(tmpdir(), 'lifeboat-redis-restore-'));
  try {
    ctx.step(`downloading ${name} for a throwaway redis-server`);
    const placed = await placeDump(await ctx.open(name), scratch, { yes: false, what });
    return { target: 'a throwaway local redis-server', checks: [...fileChecks(placed, facts), ...(await loadAndCompare(ctx, placed.path, facts))] };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** What the written file itself says: its checksum and, when the scanner could count them, its keys. */
function fileChecks(placed: PlacedDump, facts: Partial<RedisFacts>): RestoreCheck[] {
  const { check } = placed;
  const written = check.checksum.state === 'ok' ? `crc64:${check.checksum.crc64}` : check.checksum.state;
  const checks: RestoreCheck[] = [{ name: 'RDB checksum', expected: facts.rdbChecksum ?? written, actual: written, ok: facts.rdbChecksum === undefined || facts.rdbChecksum === written }];
  if (check.scan.state === 'complete' && facts.keysFrom === 'rdb' && facts.totalKeys !== undefined) {
    const keys = Object.values(check.scan.keys).reduce((a, b) => a + b, 0);
    checks.push({ name: 'keys in dump.rdb', expected: facts.totalKeys, actual: keys, ok: keys === facts.totalKeys });
  }
  return checks;
}

/**
 * Loads the RDB into a throwaway server and compares keys per database. Keys
 * with a TTL that passed since the backup are dropped at load, as on any
 * server, so a database with such keys may hold up to that many fewer.
 */
async function loadAndCompare(ctx: RestoreContext<RedisConfig>, rdbFile: string, facts: Partial<RedisFacts>): Promise<RestoreCheck[]> {
  ctx.step('loading the RDB into a throwaway local redis-server');
  const server = await startScratchRedis(rdbFile, { env: ctx.env, signal: ctx.signal });
  try {
    const info = parseInfo(await server.client.info());
    ctx.step(`redis-server ${info.redis_version ?? ''} loaded it`.trim());
    const loaded = keyspaceOf(info);
    const expectedKeys = facts.keys ?? {};
    const expires = facts.expires ?? {};
    const dbs = [...new Set([...Object.keys(expectedKeys), ...Object.keys(loaded.keys)])].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
    const checks: RestoreCheck[] = dbs.map((db) => {
      const keys = expectedKeys[db] ?? 0;
      const ttl = Math.min(expires[db] ?? 0, keys);
      const actual = loaded.keys[db] ?? 0;
      return {
        name: `keys in ${db}`,
        expected: ttl === 0 ? keys : `${keys - ttl}\u2013${keys} (${ttl} with a TTL, which may have expired)`,
        actual,
        ok: actual <= keys && actual >= keys - ttl,
      };
    });
    // Redis 7+ counts what it read: loaded plus skipped-as-expired is every key in the file.
    if (info.rdb_last_load_keys_loaded !== undefined && facts.keysFrom === 'rdb' && facts.totalKeys !== undefined) {
      const read = Number(info.rdb_last_load_keys_loaded) + Number(info.rdb_last_load_keys_expired ?? 0);
      checks.push({ name: 'keys read by redis-server', expected: facts.totalKeys, actual: read, ok: read === facts.totalKeys });
    }
    return checks;
  } finally {
    await server.stop();
  }
}

/** `restore --list`: the one file a Redis backup holds. */
export async function redisContents(ctx: RestoreContext<RedisConfig>): Promise<ContentEntry[]> {
  const name = artifactName(ctx);
  const facts = ctx.manifest.facts as Partial<RedisFacts>;
  const artifact = ctx.manifest.artifacts.find((a) => a.name === name)!;
  return [{ path: 'dump.rdb', type: 'file', bytes: facts.rdbBytes ?? artifact.bytes, mode: 0o600, mtime: facts.snapshotAt ?? ctx.manifest.finishedAt }];
}
