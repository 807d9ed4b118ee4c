/**
 * Loads an RDB into a running Redis over the network, the only way Redis
 * takes one: as a replica taking a full sync from its master. Lifeboat plays
 * the master for one sync: it listens on a port of the address the server
 * sees it at (the local address of our control connection), tells the server
 * `REPLICAOF <that address> <port>`, answers its handshake (PING, AUTH,
 * REPLCONF…, then PSYNC with `+FULLRESYNC <replid> 0`) and sends the RDB as
 * `$<length>\r\n` + bytes. Once the server reports the link up (it has loaded
 * the RDB), `REPLICAOF NO ONE` makes it a master again with that data.
 *
 * - The RDB is a local file that was verified before (sha256 and CRC64):
 *   a Redis that loads a corrupt RDB from its master exits, and a full sync
 *   has already flushed its old dataset by then.
 * - Nobody else gets the data from our port: for the sync, the server's
 *   `masterauth` is set to a one-time token, and a connection that does not
 *   AUTH with it gets nothing. Its own value is put back afterwards.
 * - `REPLICAOF NO ONE` and the old masterauth are restored in a `finally`,
 *   whatever happened (waiting out a load in progress, which refuses them).
 * - Not supported: `tls-replication yes` (the server would speak TLS to us),
 *   a server that is itself a replica, and cluster mode.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError, UsageError, formatBytes } from '@lifeboat/core';
import type { Redis } from 'ioredis';
import { call, where, type RedisTarget } from './connection.js';
import { keyspaceOf, parseInfo } from './facts.js';

const POLL_MS = 100;
/** How long the server may take to connect to us and ask for the sync (it retries every second). */
const HANDSHAKE_SECONDS = 30;
/** Loading is bounded by the dataset, not by us; this only catches a server that hangs. */
const LOAD_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_HANDSHAKE_BYTES = 64 * 1024;
/** Transfers that break off before the server gives up on it (a full disk, a flaky link). */
const MAX_ATTEMPTS = 3;

export interface LoadTarget {
  /** `redis_version`. */
  version: string;
  /** Keys in every database, before the load. */
  keys: number;
}

async function configGet(client: Redis, target: RedisTarget, timeout: number, name: string): Promise<string | undefined> {
  const reply = (await call(client, target, timeout, (c) => c.call('CONFIG', 'GET', name))) as string[];
  return reply[1];
}

/**
 * Refuses a server a full sync must not be aimed at: a replica, a cluster
 * node, one that replicates over TLS, or one that holds keys (unless `--clean
 * --yes`: the sync replaces its whole dataset). Changes nothing.
 */
export async function checkLoadTarget(client: Redis, target: RedisTarget, timeout: number, request: { clean: boolean; yes: boolean }): Promise<LoadTarget> {
  const info = parseInfo(await call(client, target, timeout, (c) => c.info()));
  const at = `the Redis at ${where(target)}`;
  if (info.role !== 'master') {
    throw new UsageError(`${at} is a replica of ${info.master_host ?? '?'}:${info.master_port ?? '?'}; restore into a server that is not (REPLICAOF NO ONE), so its master does not overwrite the backup`);
  }
  if (info.cluster_enabled === '1') throw new UsageError(`${at} runs in cluster mode, which cannot take a full sync from Lifeboat; restore into a standalone server`);
  let tlsReplication: string | undefined;
  try {
    tlsReplication = await configGet(client, target, timeout, 'tls-replication');
  } catch (err) {
    throw new UsageError(
      `${at} refuses CONFIG (${(err as Error).message}); Lifeboat needs CONFIG GET/SET to load a backup over replication. Use --to-dir (a data folder) or --to ephemeral instead`,
    );
  }
  if (tlsReplication === 'yes') {
    throw new UsageError(`${at} has tls-replication yes: it would speak TLS to Lifeboat, which feeds the sync in plain TCP. Set tls-replication no on this scratch server, or restore with --to-dir`);
  }
  const keys = Object.values(keyspaceOf(info).keys).reduce((a, b) => a + b, 0);
  if (keys > 0 && !request.clean) {
    throw new UsageError(`${at} already holds ${keys} keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes to replace them (nothing was changed)`);
  }
  if (keys > 0 && !request.yes) {
    throw new UsageError(`--clean replaces every key on ${at} (a full sync replaces the whole dataset); add --yes to confirm (nothing was changed)`);
  }
  return { version: info.redis_version ?? 'unknown', keys };
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One command off a replica's connection: RESP arrays (what Redis sends) or an inline line. */
function nextCommand(buffer: Buffer): { args: string[]; rest: Buffer } | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const first = buffer.subarray(0, lineEnd).toString('latin1');
  if (!first.startsWith('*')) return { args: first.split(' ').filter((a) => a !== ''), rest: buffer.subarray(lineEnd + 2) };
  const count = Number(first.slice(1));
  const args: string[] = [];
  let at = lineEnd + 2;
  for (let i = 0; i < count; i++) {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const length = Number(buffer.subarray(at + 1, end).toString('latin1'));
    if (buffer.length < end + 2 + length + 2) return undefined;
    args.push(buffer.subarray(end + 2, end + 2 + length).toString('latin1'));
    at = end + 2 + length + 2;
  }
  return { args, rest: buffer.subarray(at) };
}

/** The master's side of the sync: serves the RDB to the first connection that authenticates and asks for it. */
class SyncSource {
  private readonly server: Server = createServer((socket) => this.serve(socket));
  private readonly sockets = new Set<Socket>();
  private readonly replid = randomBytes(20).toString('hex');
  /** Set once the RDB was sent in full. */
  sent = false;
  /** Set when the server asks again after a full transfer: it could not load what it got. */
  askedAgain = false;
  requested = false;
  /** Full syncs the server asked for; it asks again after a transfer that broke off. */
  attempts = 0;
  problem?: string;

  constructor(
    private readonly rdbFile: string,
    private readonly bytes: number,
    private readonly token: string,
  ) {}

  async listen(host: string): Promise<number> {
    this.server.listen({ host, port: 0 });
    await Promise.race([once(this.server, 'listening'), once(this.server, 'error').then(([err]) => Promise.reject(err as Error))]);
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer: Buffer = Buffer.alloc(0);
    let authed = false;
    let streaming = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      // A handshake is a few short lines; anything else is not a Redis replica.
      if (!streaming && buffer.length > MAX_HANDSHAKE_BYTES) {
        socket.destroy();
        return;
      }
      for (let next = nextCommand(buffer); next; next = nextCommand(buffer)) {
        buffer = next.rest;
        // After the sync, the replica only sends REPLCONF ACK, which gets no reply.
        if (streaming) continue;
        const [name = '', ...args] = next.args;
        switch (name.toUpperCase()) {
          case 'PING':
            socket.write('+PONG\r\n');
            break;
          case 'AUTH':
            authed = sameSecret(args.at(-1) ?? '', this.token);
            if (!authed) {
              socket.end('-WRONGPASS invalid username-password pair\r\n');
              return;
            }
            socket.write('+OK\r\n');
            break;
          case 'REPLCONF':
          case 'PSYNC':
          case 'SYNC':
            if (!authed) {
              socket.end('-NOAUTH Authentication required.\r\n');
              return;
            }
            if (name.toUpperCase() === 'REPLCONF') {
              if (args[0]?.toLowerCase() !== 'ack') socket.write('+OK\r\n');
              break;
            }
            streaming = true;
            if (this.sent) {
              this.askedAgain = true;
              socket.destroy();
              return;
            }
            if (this.requested) {
              // A second connection while the first is still sending: let the first finish.
              socket.destroy();
              return;
            }
            this.requested = true;
            this.attempts++;
            if (name.toUpperCase() === 'PSYNC') socket.write(`+FULLRESYNC ${this.replid} 0\r\n`);
            void this.send(socket);
            break;
          default:
            socket.write(`-ERR Lifeboat only feeds one full sync\r\n`);
        }
      }
    });
  }

  private async send(socket: Socket): Promise<void> {
    // Not events.once: that rejects on 'error', unhandled once the transfer is over.
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      socket.write(`$${this.bytes}\r\n`);
      for await (const chunk of createReadStream(this.rdbFile, { highWaterMark: 1024 * 1024 })) {
        if (socket.destroyed) throw new Error('the server closed the replication link during the transfer');
        if (!socket.write(chunk as Buffer)) await Promise.race([once(socket, 'drain'), closed]);
      }
      await new Promise<void>((resolve, reject) => socket.write('', (err) => (err ? reject(err) : resolve())));
      if (socket.destroyed) throw new Error('the server closed the replication link during the transfer');
      this.sent = true;
    } catch (err) {
      this.problem = (err as Error).message;
      this.requested = false;
      socket.destroy();
    }
  }
}

export interface ReplicationLoadOptions {
  connectTimeout: number;
  signal: AbortSignal;
  step(message: string): void;
  /** For the sentence when the server cannot load the RDB. */
  rdbVersion?: number;
}

/**
 * Feeds `rdbFile` to the server behind `client` as its master. Resolves once
 * the server has loaded it; the server is a master again (REPLICAOF NO ONE)
 * when this returns or throws.
 */
export async function loadOverReplication(client: Redis, target: RedisTarget, rdbFile: string, opts: ReplicationLoadOptions): Promise<void> {
  const timeout = opts.connectTimeout;
  const at = `the Redis at ${where(target)}`;
  const host = client.stream.localAddress;
  if (host === undefined) throw new LifeboatError(`cannot tell which address ${at} reaches Lifeboat at`);
  const { size } = await stat(rdbFile);
  const token = randomBytes(24).toString('hex');
  const masterauth = await configGet(client, target, timeout, 'masterauth');
  const source = new SyncSource(rdbFile, size, token);
  const port = await source.listen(host);
  let pointed = false;
  let failure: unknown;
  try {
    await call(client, target, timeout, (c) => c.call('CONFIG', 'SET', 'masterauth', token));
    opts.step(`sending ${formatBytes(size)} to ${where(target)} as its replication master (${host.includes(':') ? `[${host}]` : host}:${port})`);
    pointed = true;
    await call(client, target, timeout, (c) => c.call('REPLICAOF', host, String(port)));
    await loaded(client, target, source, { ...opts, host, port });
  } catch (err) {
    // A server that exits while loading (Redis does on a corrupt RDB) closes our control connection.
    failure = client.status === 'ready' ? err : new LifeboatError(`${at} went away during the load; see its log`, undefined, { cause: err });
  } finally {
    source.close();
  }
  if (client.status !== 'ready') throw failure ?? new LifeboatError(`${at} went away after the load; see its log`);
  try {
    if (pointed) await detach(client);
    await client.call('CONFIG', 'SET', 'masterauth', masterauth ?? '');
  } catch (err) {
    const sentence = `${at} is still a replica of Lifeboat, which has gone (${(err as Error).message}); run REPLICAOF NO ONE on it`;
    throw new LifeboatError(failure === undefined ? sentence : `${(failure as Error).message}; and ${sentence}`, undefined, { cause: err });
  }
  if (failure !== undefined) throw failure;
}

/** Waits until the server has loaded what it was sent, or says why it will not. */
async function loaded(client: Redis, target: RedisTarget, source: SyncSource, opts: ReplicationLoadOptions & { host: string; port: number }): Promise<void> {
  const at = `the Redis at ${where(target)}`;
  const started = Date.now();
  for (;;) {
    if (opts.signal.aborted) throw new LifeboatError('the restore was cancelled');
    if (source.askedAgain) {
      const version = opts.rdbVersion === undefined ? '' : ` (the backup is RDB version ${opts.rdbVersion}; a Redis older than the source may not read it)`;
      throw new LifeboatError(`${at} received the RDB but could not load it and asked for it again${version}; its log says why`);
    }
    if (!source.requested && !source.sent && source.attempts >= MAX_ATTEMPTS) {
      throw new LifeboatError(`${at} asked for the sync ${source.attempts} times and each transfer broke off (${source.problem ?? 'no reason given'}); its log says why`);
    }
    const info = parseInfo(await call(client, target, opts.connectTimeout, (c) => c.info()));
    if (source.sent && info.master_link_status === 'up' && info.loading !== '1') return;
    if (!source.requested && !source.sent && Date.now() - started > HANDSHAKE_SECONDS * 1000) {
      throw new LifeboatError(
        `${at} did not ask Lifeboat for the sync within ${HANDSHAKE_SECONDS} s${source.problem ? ` (${source.problem})` : ''}; it must be able to connect to ${opts.host}:${opts.port} (a firewall?)`,
      );
    }
    if (Date.now() - started > LOAD_TIMEOUT_MS) throw new LifeboatError(`${at} did not finish loading the RDB within ${LOAD_TIMEOUT_MS / 60_000} minutes`);
    await sleep(POLL_MS);
  }
}

/** REPLICAOF NO ONE, waiting out a load in progress (a loading server answers -LOADING). */
async function detach(client: Redis): Promise<void> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  for (;;) {
    try {
      await client.call('REPLICAOF', 'NO', 'ONE');
      return;
    } catch (err) {
      if (!/^LOADING/.test((err as Error).message) || Date.now() > deadline) throw err;
      await sleep(POLL_MS);
    }
  }
}
