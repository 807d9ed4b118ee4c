/**
 * How to reach a Redis server named by a plan URL, and how to say what went
 * wrong without ever showing its password. Two kinds of connection share it:
 * ioredis for ordinary commands (INFO, BGSAVE…) and a raw socket for the
 * replication stream, which no client library exposes.
 */
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { LifeboatError, UsageError } from '@lifeboat/core';
// Loaded when a Redis component runs, so other commands do not pay for it at start-up.
import type { Redis } from 'ioredis';

/** A resolved Redis address. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  /** Present for `rediss://`. */
  tls?: ConnectionOptions;
  /** `redis://user@host:port` — safe for logs and manifests. */
  display: string;
}

const URL_EXPECTED = 'expected redis://[user[:password]@]host[:port][/db] or rediss://…';

/**
 * Parses the URL the plan's `url` resolved to. `tls` options (server name, CA
 * file relative to the plan's folder) apply to `rediss://` only.
 */
export async function redisTarget(
  url: string,
  field: string,
  opts: { tls?: { servername?: string; ca?: string }; planDir: string },
): Promise<RedisTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${field} is not a Redis URL (${URL_EXPECTED})`);
  }
  const secure = parsed.protocol === 'rediss:';
  if (!secure && parsed.protocol !== 'redis:') throw new UsageError(`${field} is a ${parsed.protocol.replace(/:$/, '')} URL, not a Redis one (${URL_EXPECTED})`);
  // WHATWG URL keeps IPv6 brackets in hostname; sockets want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${field} names no host (${URL_EXPECTED})`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`${field} names database "${dbText}"; expected a number such as /0`);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);

  if (opts.tls && !secure) throw new UsageError(`${field} is a redis:// URL, but tls options are set; use rediss:// for TLS`);
  let tls: ConnectionOptions | undefined;
  if (secure) {
    tls = { servername: opts.tls?.servername ?? (isIp(host) ? undefined : host) };
    if (opts.tls?.ca) {
      const caFile = resolve(opts.planDir, opts.tls.ca);
      try {
        tls.ca = await readFile(caFile);
      } catch (err) {
        throw new UsageError(`${field.replace(/\.url$/, '.tls.ca')} names ${caFile}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls }),
    display: `${secure ? 'rediss' : 'redis'}://${username === undefined ? '' : `${username}@`}${shownHost}:${port}`,
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Where a server is, for sentences: `cache:6379`. */
export function where(target: RedisTarget): string {
  return target.display.replace(/^rediss?:\/\/([^@/]*@)?/, '');
}

/**
 * One sentence for a failed connection or command. Redis's own error replies
 * never echo the password, and neither does anything here.
 */
export function redisProblem(err: unknown, target: RedisTarget, timeoutSeconds: number): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const at = `Redis at ${where(target)}`;
  const user = target.username === undefined ? '' : ` for user ${target.username}`;
  const cause = { cause: err };
  switch (e.code) {
    case 'ECONNREFUSED':
      return new LifeboatError(`could not connect to ${at}: connection refused (is the server running?)`, undefined, cause);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LifeboatError(`could not connect to ${at}: host not found`, undefined, cause);
    case 'ETIMEDOUT':
      return new LifeboatError(`could not connect to ${at}: no answer within ${timeoutSeconds} s (connectTimeout)`, undefined, cause);
    case 'ECONNRESET':
    case 'EPIPE':
      return new LifeboatError(`${at} closed the connection unexpectedly`, undefined, cause);
  }
  // ioredis's commandTimeout, hit by the first command on a server that accepts connections but never answers.
  if (/^Command timed out/.test(message)) return new LifeboatError(`${at} did not answer within ${timeoutSeconds} s (connectTimeout)`, undefined, cause);
  if (/^WRONGPASS/.test(message)) return new LifeboatError(`${at} rejected the password${user} (WRONGPASS)`, undefined, cause);
  if (/^NOAUTH/.test(message)) {
    return new LifeboatError(`${at} requires a password, and the URL has none; put redis://[user]:PASSWORD@… in the variable or file that url refers to`, undefined, cause);
  }
  if (/^NOPERM/.test(message)) return new LifeboatError(`${at} refused a command to user ${target.username ?? 'default'}: ${message}`, undefined, cause);
  if (/certificate|self[- ]signed|SSL|TLS|ERR_TLS/i.test(message) || (e.code ?? '').startsWith('ERR_TLS') || (e.code ?? '').includes('CERT')) {
    return new LifeboatError(`TLS connection to ${at} failed: ${message}`, undefined, cause);
  }
  return new LifeboatError(`${at}: ${message}`, undefined, cause);
}

/**
 * An ioredis client, connected: no retries and no offline queue, so a
 * failure surfaces at once as one sentence instead of a reconnect loop.
 * `whileLoading`: connect to a server that is still loading its dataset
 * (commands such as INFO work then); by default connect() waits until it has.
 */
export async function connectClient(target: RedisTarget, timeoutSeconds: number, opts: { whileLoading?: boolean } = {}): Promise<Redis> {
  const timeoutMs = Math.round(timeoutSeconds * 1000);
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls === undefined ? {} : { tls: target.tls }),
    // RESP2: what every server, proxy and managed service speaks.
    protocol: 2,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    ...(opts.whileLoading ? { enableReadyCheck: false } : {}),
  });
  // ioredis rejects connect() with "Connection is closed."; the reason arrives as an 'error' event.
  let reason: unknown;
  client.on('error', (err: unknown) => {
    reason ??= err;
  });
  // ioredis's own timers let a server that accepts but never answers hold us for several times connectTimeout.
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Command timed out')), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), silent]);
  } catch (err) {
    client.disconnect();
    throw redisProblem(reason ?? err, target, timeoutSeconds);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** A command through ioredis, its failure as a sentence. */
export async function call<T>(client: Redis, target: RedisTarget, timeoutSeconds: number, run: (c: Redis) => Promise<T>): Promise<T> {
  try {
    return await run(client);
  } catch (err) {
    throw redisProblem(err, target, timeoutSeconds);
  }
}

/** A raw TCP or TLS socket to the server, connected within the timeout. */
export function openSocket(target: RedisTarget, timeoutSeconds: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, ...target.tls })
      : netConnect({ host: target.host, port: target.port });
    const ready = target.tls ? 'secureConnect' : 'connect';
    const fail = (err: unknown) => {
      cleanup();
      socket.destroy();
      reject(redisProblem(err, target, timeoutSeconds));
    };
    const onTimeout = () => fail(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    const onAbort = () => fail(new LifeboatError('the backup was cancelled'));
    const onReady = () => {
      cleanup();
      resolvePromise(socket);
    };
    const cleanup = () => {
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('error', fail);
      socket.off(ready, onReady);
      signal.removeEventListener('abort', onAbort);
    };
    socket.setTimeout(Math.round(timeoutSeconds * 1000));
    socket.once('timeout', onTimeout);
    socket.once('error', fail);
    socket.once(ready, onReady);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
