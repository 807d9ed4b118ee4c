import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { LifeboatError, formatBytes, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { freshSnapshot, readSnapshot, type Snapshot } from './bgsave.js';
import { checkModeFields, type RedisConfig } from './config.js';
import { call, connectClient, redisTarget } from './connection.js';
import { redisFacts, serverFacts, type ServerFacts } from './facts.js';
import { RdbCheck } from './rdb-check.js';
import { openReplicaLink } from './replica-sync.js';

/** The stored artifact: the RDB as Redis wrote it, gzip'd when the plan says `compress: true` (or a level). */
export const ARTIFACT = { compressed: 'dump.rdb.gz', plain: 'dump.rdb' } as const;
/** `compress: true`: gzip's fastest level; the RDB's strings are LZF-compressed already, so higher levels save little more. */
const FAST_GZIP = 1;
export const ARTIFACT_FORMAT = 'Redis RDB (redis-check-rdb, or dump.rdb for redis-server)';

/** The step line that names the server, from its INFO. */
function serverLine(server: ServerFacts): string {
  return `Redis ${server.redisVersion} (${server.role}), ${formatBytes(server.usedMemoryBytes)} in memory`;
}

/**
 * One RDB snapshot of the whole server (every database), validated on the
 * way to the destinations: a transfer cut short, a truncated file or a
 * checksum mismatch fails the backup before its manifest exists.
 */
export async function backupRedis(ctx: BackupContext<RedisConfig>): Promise<SourceFacts> {
  const { config, component } = ctx;
  checkModeFields(config, component);
  const field = `components.${component}.url`;
  const target = await redisTarget(await ctx.secrets.resolve(config.url, field), field, { tls: config.tls, planDir: ctx.planDir });

  ctx.step(`connecting to ${target.display}`);
  let server: ServerFacts;
  let source: { body: Readable; bytes?: number; from: string };
  // bgsave mode: when the BGSAVE was asked for and the file the server says it wrote.
  let snapshot: Snapshot | undefined;
  if (config.mode === 'bgsave') {
    const client = await connectClient(target, config.connectTimeout);
    try {
      server = serverFacts(await call(client, target, config.connectTimeout, (c) => c.info()));
      snapshot = await freshSnapshot(client, target, { ...config, signal: ctx.signal, step: ctx.step });
    } finally {
      client.disconnect();
    }
    ctx.step(serverLine(server));
    source = await readSnapshot(config, { planDir: ctx.planDir, env: ctx.env, signal: ctx.signal, ...(snapshot.serverFile ? { serverFile: snapshot.serverFile } : {}) });
    ctx.step(`reading the snapshot from ${source.from}`);
  } else {
    // INFO and the snapshot over one connection: no client library to load, no second connection.
    const link = await openReplicaLink(target, { connectTimeout: config.connectTimeout, snapshotTimeout: config.bgsaveTimeout, signal: ctx.signal });
    try {
      server = serverFacts(await link.info());
      ctx.step(serverLine(server));
      ctx.step(`fetching an RDB snapshot from ${target.display} over replication (SYNC)`);
    } catch (err) {
      link.close();
      throw err;
    }
    const rdb = await link.sync();
    source = { ...rdb, from: target.display };
  }

  const check = new RdbCheck(`the RDB from ${source.from}`);
  pipeline(source.body, check).catch(() => {
    // pipeline has destroyed `check` with the error; storeArtifact fails with it.
  });
  const name = config.compress ? ARTIFACT.compressed : ARTIFACT.plain;
  const stored = await ctx.storeArtifact(name, check, {
    format: ARTIFACT_FORMAT,
    compress: config.compress !== false,
    ...(config.compress === false ? {} : { compressLevel: config.compress === true ? FAST_GZIP : config.compress }),
    ...(source.bytes === undefined ? {} : { expectedBytes: source.bytes }),
  });
  const result = check.result;
  if (source.bytes !== undefined && result.bytes !== source.bytes) {
    // The file changed size while we read it: another save replaced it under us.
    throw new LifeboatError(`${source.from} had ${source.bytes} bytes when the backup started but ${result.bytes} when it was read; run the backup again`);
  }

  const ctime = Number(result.scan.aux.ctime);
  if (snapshot && Number.isFinite(ctime) && ctime < snapshot.requestedAt) {
    throw new LifeboatError(
      `the RDB read from ${source.from} was written at ${new Date(ctime * 1000).toISOString()}, before the BGSAVE Lifeboat asked for at ${new Date(snapshot.requestedAt * 1000).toISOString()}: ` +
        `it is not the file this server saves${snapshot.serverFile ? ` (that is ${snapshot.serverFile} on the Redis host)` : ''}; check ${config.exec !== undefined ? 'exec' : 'rdbPath'}`,
    );
  }

  const facts = redisFacts(server, result, config.mode);
  if (result.checksum.state === 'disabled') {
    ctx.warn(`${target.display} writes RDB files without a checksum (rdbchecksum no); the backup was checked by its structure only`);
  }
  if (result.scan.state !== 'complete') {
    ctx.warn(`could not count the keys in the RDB itself (${result.scan.reason}); the manifest records INFO keyspace from just before the snapshot`);
  }
  const checksum = result.checksum.state === 'ok' ? `CRC64 ${result.checksum.crc64} ok` : `checksum ${result.checksum.state}`;
  ctx.step(`${name}: RDB version ${result.version}, ${formatBytes(result.bytes)} (${formatBytes(stored.bytes)} stored), ${facts.totalKeys} keys, ${checksum}`);
  return { ...facts };
}
