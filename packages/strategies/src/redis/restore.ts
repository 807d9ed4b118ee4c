/**
 * Restore of a Redis backup. Redis loads an RDB from its own disk at start,
 * or from its master in a full sync; so there are three targets:
 *
 * - `--to-dir DIR` writes DIR/dump.rdb atomically (owner: `--owner`, else the
 *   file it replaces, else DIR's; mode: the replaced file's, else 0600), for
 *   the server to load when the plan's hooks.afterRestore starts it again
 *   (hooks.beforeRestore stops it: a running Redis would overwrite the file
 *   with its own data at shutdown). Replacing an existing dump.rdb needs --yes.
 *   Checks: the CRC64 of what was written, and the keys it holds. Then, after
 *   afterRestore (`checkLiveRedis`), the server that loads DIR is checked: the
 *   one `--to redis://…` names, else the plan's `url` when the plan has
 *   afterRestore hooks to start it. It must have started after dump.rdb was
 *   written, and hold the backup's keys per database.
 *
 * - `--to redis://…` (or env:NAME / file:PATH holding the URL) loads the RDB
 *   into a running, empty server over replication, Lifeboat acting as its
 *   master for one full sync (replication-load.ts), then compares key counts.
 *   A server holding keys needs --clean --yes; a replica is refused.
 *
 * - `--to ephemeral` loads the backup into a throwaway local redis-server
 *   and compares its key counts per database with the manifest: the drill
 *   that proves the backup loads. Combined with `--to-dir`, it loads the file
 *   just written there.
 *
 * Nothing reaches a server before the artifact is verified: the RDB is
 * written whole (sha256 checked by ctx.open, CRC64 and structure by RdbCheck)
 * to DIR or to a 0600 spool file first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  LifeboatError,
  UsageError,
  isSecretRef,
  type ContentEntry,
  type RestoreCheck,
  type RestoreContext,
  type RestoredTarget,
  type RestoreOutcome,
} from '@lifeboat/core';
import { startEphemeralRedis } from '@lifeboat/ephemeral';
import { ARTIFACT } from './backup.js';
import type { RedisConfig } from './config.js';
import type { RedisRestoreOptions } from './restore-surface.js';
import { call, connectClient, redisTarget, where, type RedisTarget } from './connection.js';
import { compareKeyCounts, parseInfo, type RedisFacts } from './facts.js';
import { checkTargetDir, placeDump, type PlacedDump } from './dump-file.js';
import { infoOnceLoaded } from './live-server.js';
import { checkLoadRoute, checkLoadTarget, loadOverReplication } from './replication-load.js';
import { EPHEMERAL } from './restore-surface.js';

export { EPHEMERAL };

/** Loading is bounded by the dataset, not by us; this only catches a server that hangs. */
const EPHEMERAL_LOAD_TIMEOUT_MS = 30 * 60 * 1000;

/** The RDB artifact's name as the strategy stored it (an encrypted copy adds `.age`; ctx.open takes either). */
export function artifactName(ctx: RestoreContext<RedisConfig>): string {
  const names = ctx.manifest.artifacts.map((a) => a.name.replace(/\.age$/, ''));
  const name = names.find((n) => n === ARTIFACT.compressed || n === ARTIFACT.plain);
  if (!name) throw new UsageError(`backup ${ctx.manifest.id} holds no RDB (artifacts: ${names.join(', ') || 'none'})`);
  return name;
}

interface RedisRequest {
  dir?: string;
  /** `--owner` for the dump.rdb written into `dir`. */
  owner?: { uid: number; gid: number };
  ephemeral: boolean;
  /** `--to` naming a server: loaded over replication, or with --to-dir, the server checked after afterRestore. */
  server?: string;
}

const TO_EXPECTED = `--to for redis takes "${EPHEMERAL}" (a throwaway local redis-server), a redis:// or rediss:// URL, or env:NAME / file:PATH holding one`;

export function checkRequest(ctx: RestoreContext<RedisConfig>): RedisRequest {
  const { request } = ctx;
  const { toDir, owner } = request.options as RedisRestoreOptions;
  const to = request.target?.trim();
  const ephemeral = to === EPHEMERAL;
  const server = to !== undefined && !ephemeral ? to : undefined;
  if (server !== undefined) {
    if (!isSecretRef(server) && !/^rediss?:\/\//.test(server)) throw new UsageError(TO_EXPECTED);
    if (!isSecretRef(server) && /^rediss?:\/\/[^/@]*:[^/@]*@/.test(server)) {
      throw new UsageError('--to holds a password, which would show in the process list; put the URL in an environment variable and pass --to env:NAME');
    }
  }
  if (request.clean && (toDir || server === undefined)) {
    throw new UsageError('--clean applies to --to redis://\u2026 (a server that holds keys); with --to-dir, dump.rdb replaces the whole dataset and --yes confirms replacing an existing one');
  }
  if (owner && !toDir) throw new UsageError('--owner applies to the dump.rdb written by --to-dir');
  if (!toDir && !ephemeral && server === undefined) {
    throw new UsageError(
      `restore of a redis component needs --to-dir DIR (write DIR/dump.rdb for the server to load), --to redis://HOST:PORT (load it into a running, empty server over replication) or --to ${EPHEMERAL} (load it into a throwaway local redis-server and check it)`,
    );
  }
  return { ...(toDir ? { dir: toDir } : {}), ...(owner ? { owner } : {}), ephemeral, ...(server === undefined ? {} : { server }) };
}

/** The server `--to` (or, with `field` components.X.url, the plan) names. Plan TLS options apply to rediss:// only. */
async function serverTarget(ctx: RestoreContext<RedisConfig>, raw: string, field: string): Promise<RedisTarget> {
  const url = await ctx.secrets.resolve(raw, field);
  return redisTarget(url, field, { ...(url.startsWith('rediss:') && ctx.config.tls ? { tls: ctx.config.tls } : {}), planDir: ctx.planDir });
}

/** Connects to the load target and refuses it if it must not take a full sync; the caller disconnects. */
async function openLoadTarget(ctx: RestoreContext<RedisConfig>, server: string) {
  const target = await serverTarget(ctx, server, '--to');
  checkLoadRoute(target);
  const client = await connectClient(target, ctx.config.connectTimeout);
  try {
    return { target, client, state: await checkLoadTarget(client, target, ctx.config.connectTimeout, ctx.request) };
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** Runs before the plan's beforeRestore hooks (the guide's "stop Redis"): a bad request changes nothing. */
export async function preflightRedis(ctx: RestoreContext<RedisConfig>): Promise<void> {
  const { dir, server } = checkRequest(ctx);
  if (dir !== undefined) {
    await checkTargetDir(dir, { yes: ctx.request.yes });
    if (server !== undefined) await serverTarget(ctx, server, '--to');
  } else if (server !== undefined) {
    (await openLoadTarget(ctx, server)).client.disconnect();
  }
}

export async function restoreRedis(ctx: RestoreContext<RedisConfig>): Promise<RestoreOutcome> {
  const { dir, owner, ephemeral, server } = checkRequest(ctx);
  const name = artifactName(ctx);
  const facts = ctx.manifest.facts as Partial<RedisFacts>;
  const what = `${name} of backup ${ctx.manifest.id}`;

  if (dir !== undefined) {
    await checkTargetDir(dir, { yes: ctx.request.yes });
    ctx.step(`writing dump.rdb into ${dir}`);
    const placed = await placeDump(await ctx.open(name), dir, { ...(owner ? { owner } : {}), yes: ctx.request.yes, what });
    ctx.step(`${placed.path}: ${placed.uid}:${placed.gid}, mode ${placed.mode.toString(8).padStart(4, '0')}${placed.replaced ? ', replaced the previous dump.rdb' : ''}`);
    const checks = fileChecks(placed, facts);
    if (ephemeral) checks.push(...(await loadAndCompare(ctx, placed.path, facts)));
    // The rename, not the end of an --to ephemeral load after it: a server may have started on the file meanwhile.
    return { target: placed.path, checks, placedAt: placed.placedAt };
  }

  // A 0700 folder of our own: the spooled RDB is readable by us only.
  const spool = await mkdtemp(join(tmpdir(), 'lifeboat-redis-restore-'));
  try {
    if (server !== undefined) return await loadIntoServer(ctx, server, spool, { name, what, facts });
    ctx.step(`downloading ${name} for a throwaway redis-server`);
    const placed = await placeDump(await ctx.open(name), spool, { yes: false, what });
    return { target: 'a throwaway local redis-server', checks: [...fileChecks(placed, facts), ...(await loadAndCompare(ctx, placed.path, facts))] };
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

/** `--to redis://…`: the verified RDB, spooled, fed to the server over replication; then its keys. */
async function loadIntoServer(
  ctx: RestoreContext<RedisConfig>,
  server: string,
  spool: string,
  backup: { name: string; what: string; facts: Partial<RedisFacts> },
): Promise<RestoreOutcome> {
  const { target, client, state } = await openLoadTarget(ctx, server);
  try {
    ctx.step(`${target.display}: Redis ${state.version}, ${state.keys} keys${state.keys > 0 ? ' (replaced: --clean --yes)' : ''}`);
    ctx.step(`downloading and checking ${backup.name} before anything reaches ${where(target)}`);
    const placed = await placeDump(await ctx.open(backup.name), spool, { yes: false, what: backup.what });
    const checks = fileChecks(placed, backup.facts);
    if (checks.some((c) => !c.ok)) return { target: target.display, checks };
    await loadOverReplication(client, target, placed.path, {
      connectTimeout: ctx.config.connectTimeout,
      signal: ctx.signal,
      step: ctx.step,
      request: ctx.request,
      ...(backup.facts.rdbVersion === undefined ? {} : { rdbVersion: backup.facts.rdbVersion }),
    });
    const info = parseInfo(await call(client, target, ctx.config.connectTimeout, (c) => c.info()));
    ctx.step(`${where(target)} loaded it and is a ${info.role ?? 'master'} again`);
    return { target: target.display, checks: [...checks, ...compareKeyCounts(backup.facts, info, 'the server')] };
  } finally {
    client.disconnect();
  }
}

/**
 * After the afterRestore hooks of a `--to-dir` restore: the server that loads
 * DIR (`--to`, else the plan's url when hooks started it) must have started
 * after dump.rdb was written and hold the backup's keys.
 */
export async function checkLiveRedis(ctx: RestoreContext<RedisConfig>, restored: RestoredTarget): Promise<RestoreOutcome | undefined> {
  const { dir, server } = checkRequest(ctx);
  if (dir === undefined) return undefined;
  if (server === undefined && !restored.afterRestoreHooks) {
    ctx.step(`no afterRestore hooks start a server on ${dir}, so no server is checked (name one with --to redis://\u2026)`);
    return undefined;
  }
  const field = server === undefined ? `components.${ctx.component}.url` : '--to';
  const target = await serverTarget(ctx, server ?? ctx.config.url, field);
  ctx.step(`checking ${target.display} (${server === undefined ? 'the plan\u2019s url' : '--to'}) against the backup`);
  let info: Record<string, string>;
  try {
    info = await infoOnceLoaded(target, ctx.config.connectTimeout, ctx);
  } catch (err) {
    const hooks = restored.afterRestoreHooks ? 'the afterRestore hooks have run' : 'no afterRestore hooks ran';
    throw new LifeboatError(`${(err as Error).message}; ${restored.outcome.target} is in place and ${hooks}: check that the server loading ${dir} is running`, undefined, { cause: err });
  }
  const facts = ctx.manifest.facts as Partial<RedisFacts>;
  const placedAt = restored.restoredAt;
  // uptime counts whole seconds from a whole-second start time, so it can read up to a second long: a second's slack.
  const upSince = new Date(Date.now() - Number(info.uptime_in_seconds ?? 0) * 1000);
  const fresh = upSince.getTime() >= placedAt.getTime() - 1000;
  const checks: RestoreCheck[] = [
    {
      name: 'started after dump.rdb was written',
      expected: `after ${placedAt.toISOString()}`,
      actual: fresh ? `at ${upSince.toISOString()}` : `running since ${upSince.toISOString()}, so it did not load dump.rdb`,
      ok: fresh,
    },
    ...compareKeyCounts(facts, info),
  ];
  if (info.aof_enabled === '1' && checks.some((c) => !c.ok)) {
    ctx.warn(`${where(target)} has appendonly yes: at start it loads its append-only file, not dump.rdb; restore with appendonly no, then turn it back on (CONFIG SET appendonly yes rewrites the AOF from memory)`);
  }
  return { target: `${target.display}${restored.afterRestoreHooks ? ' after the afterRestore hooks' : ''}`, checks };
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

/** Loads the RDB into a throwaway local redis-server (password-protected, gone afterwards) and compares keys per database. */
async function loadAndCompare(ctx: RestoreContext<RedisConfig>, rdbFile: string, facts: Partial<RedisFacts>): Promise<RestoreCheck[]> {
  ctx.step('loading the RDB into a throwaway local redis-server');
  const password = randomBytes(24).toString('hex');
  const server = await startEphemeralRedis({
    rdbFile,
    password,
    startTimeoutMs: EPHEMERAL_LOAD_TIMEOUT_MS,
    signal: ctx.signal,
    ...(ctx.env.PATH === undefined ? {} : { path: ctx.env.PATH }),
  });
  try {
    const target = await redisTarget(`redis://:${password}@127.0.0.1:${server.port}`, 'the throwaway redis-server', { planDir: ctx.planDir });
    const client = await connectClient(target, ctx.config.connectTimeout);
    try {
      const info = parseInfo(await call(client, target, ctx.config.connectTimeout, (c) => c.info()));
      ctx.step(`redis-server ${info.redis_version ?? ''} loaded it`.trim());
      return compareKeyCounts(facts, info);
    } finally {
      client.disconnect();
    }
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
