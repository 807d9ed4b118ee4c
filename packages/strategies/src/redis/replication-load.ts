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
 * - Whatever happened, what may have changed is put back, each on its own:
 *   `REPLICAOF NO ONE` (waiting out a load in progress, which refuses it) and
 *   the old masterauth, over a new connection if ours was lost. What could not
 *   be put back is named in the error, with the commands that do it.
 * - The server must reach us at our control connection's local address: not
 *   so behind NAT, a Docker-published port or an SSH tunnel.
 * - Not supported: `tls-replication yes` (the server would speak TLS to us),
 *   a rediss:// server off this machine (the RDB would cross the network in
 *   plain TCP), a server that is itself a replica, and cluster mode.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError, UsageError, formatBytes } from '@lifeboat/core';
import type { Redis } from 'ioredis';
import { call, connectClient, where, type RedisTarget } from './connection.js';
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

/** 127.0.0.0/8 (also IPv4-mapped), ::1, localhost. */
const LOOPBACK = /^((::ffff:)?127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * Refuses, before connecting, a target the RDB cannot reach safely: the sync
 * Lifeboat feeds is plain TCP whatever the control connection is, so a
 * rediss:// server that is not on this machine would get the data unencrypted.
 */
export function checkLoadRoute(target: RedisTarget): void {
  if (target.tls !== undefined && !LOOPBACK.test(target.host)) {
    throw new UsageError(
      `${target.display} is a TLS server on another machine: Lifeboat feeds it the backup as its replication master in plain TCP, so the data would cross the network unencrypted. Restore with --to-dir (the server's data folder) instead, or run Lifeboat on that machine and use --to rediss://localhost:…`,
    );
  }
}

/** Keys in every database, refused unless --clean --yes: a full sync replaces the whole dataset. */
function keysAllowed(info: Record<string, string>, at: string, request: { clean: boolean; yes: boolean }, since = 'already '): number {
  const keys = Object.values(keyspaceOf(info).keys).reduce((a, b) => a + b, 0);
  if (keys > 0 && !request.clean) {
    throw new UsageError(`${at} ${since}holds ${keys} keys; loading a backup is a full sync, which replaces the whole dataset: pass --clean --yes to replace them (nothing was changed)`);
  }
  if (keys > 0 && !request.yes) {
    throw new UsageError(`--clean replaces every key on ${at} (a full sync replaces the whole dataset); add --yes to confirm (nothing was changed)`);
  }
  return keys;
}

/**
 * Refuses a server a full sync must not be aimed at: a replica, a cluster
 * node, one that replicates over TLS, one whose user may not run CONFIG SET
 * or REPLICAOF, or one that holds keys (unless `--clean --yes`: the sync
 * replaces its whole dataset). Changes nothing: CONFIG SET puts masterauth
 * back to the value it has.
 */
export async function checkLoadTarget(client: Redis, target: RedisTarget, timeout: number, request: { clean: boolean; yes: boolean }): Promise<LoadTarget> {
  checkLoadRoute(target);
  const info = parseInfo(await call(client, target, timeout, (c) => c.info()));
  const at = `the Redis at ${where(target)}`;
  if (info.role !== 'master') {
    throw new UsageError(`${at} is a replica of ${info.master_host ?? '?'}:${info.master_port ?? '?'}; restore into a server that is not (REPLICAOF NO ONE), so its master does not overwrite the backup`);
  }
  if (info.cluster_enabled === '1') throw new UsageError(`${at} runs in cluster mode, which cannot take a full sync from Lifeboat; restore into a standalone server`);
  const refused = (command: string, err: unknown) =>
    new UsageError(
      `${at} refuses ${command} (${(err as Error).message}); Lifeboat needs CONFIG GET/SET and REPLICAOF to load a backup over replication. Use --to-dir (a data folder) or --to ephemeral instead (nothing was changed)`,
    );
  let tlsReplication: string | undefined;
  let masterauth: string | undefined;
  try {
    tlsReplication = await configGet(client, target, timeout, 'tls-replication');
    masterauth = await configGet(client, target, timeout, 'masterauth');
  } catch (err) {
    throw refused('CONFIG GET', err);
  }
  if (tlsReplication === 'yes') {
    throw new UsageError(`${at} has tls-replication yes: it would speak TLS to its master, and Lifeboat cannot serve the sync over TLS. Restore with --to-dir (the server's data folder) instead`);
  }
  try {
    // Its own value again: proves CONFIG SET works, changes nothing.
    await call(client, target, timeout, (c) => c.call('CONFIG', 'SET', 'masterauth', masterauth ?? ''));
  } catch (err) {
    throw refused('CONFIG SET', err);
  }
  await checkMayReplicate(client, target, timeout, refused);
  const keys = keysAllowed(info, at, request);
  return { version: info.redis_version ?? 'unknown', keys };
}

/** Redis 7 tells whether our user may run REPLICAOF without running it (ACL DRYRUN); older servers, or a user that may not ask, are tried for real. */
async function checkMayReplicate(client: Redis, target: RedisTarget, timeout: number, refused: (command: string, err: unknown) => Error): Promise<void> {
  let verdict: unknown;
  try {
    const user = String(await call(client, target, timeout, (c) => c.call('ACL', 'WHOAMI')));
    verdict = await call(client, target, timeout, (c) => c.call('ACL', 'DRYRUN', user, 'REPLICAOF', '127.0.0.1', '1'));
  } catch {
    return;
  }
  if (verdict !== 'OK') throw refused('REPLICAOF', new Error(String(verdict)));
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
  /** `--clean` / `--yes`: keys the server holds right before the sync (written since checkLoadTarget) are refused without both. */
  request: { clean: boolean; yes: boolean };
}

/** The failure is Redis's error reply, so the command did not run; a timeout or a closed connection leaves that unknown. */
function mayHaveRun(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return (cause as { name?: string }).name !== 'ReplyError';
}

/** ioredis's commandTimeout: the server did not answer in time (busy, e.g. flushing its old dataset). */
function timedOut(err: unknown): boolean {
  const cause = (err as { cause?: { message?: string } }).cause;
  return /^Command timed out/.test(cause?.message ?? '');
}

/** What the load changed on the server, for putting it back: set once the command may have run. */
interface Changes {
  /** `CONFIG SET masterauth <token>`. */
  auth: boolean;
  /** `REPLICAOF <us>`. */
  pointed: boolean;
}

/**
 * Feeds `rdbFile` to the server behind `client` as its master. Resolves once
 * the server has loaded it; the server is a master again (REPLICAOF NO ONE)
 * with its own masterauth when this returns, and when it throws unless the
 * error says otherwise. A control connection lost on the way is replaced by
 * a new one to put things back.
 */
export async function loadOverReplication(client: Redis, target: RedisTarget, rdbFile: string, opts: ReplicationLoadOptions): Promise<void> {
  const timeout = opts.connectTimeout;
  const at = `the Redis at ${where(target)}`;
  const host = client.stream.localAddress;
  if (host === undefined) throw new LifeboatError(`cannot tell which address ${at} reaches Lifeboat at`);
  const { size } = await stat(rdbFile);
  const token = randomBytes(24).toString('hex');
  const masterauth = await configGet(client, target, timeout, 'masterauth');
  // checkLoadTarget ran before the download; keys written since would be replaced just the same.
  keysAllowed(parseInfo(await call(client, target, timeout, (c) => c.info('keyspace'))), at, opts.request, 'now ');
  const source = new SyncSource(rdbFile, size, token);
  const port = await source.listen(host);
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const changes: Changes = { auth: false, pointed: false };
  const changing = async (change: keyof Changes, run: (c: Redis) => Promise<unknown>) => {
    try {
      await call(client, target, timeout, run);
    } catch (err) {
      changes[change] = mayHaveRun(err);
      throw err;
    }
    changes[change] = true;
  };
  let failure: unknown;
  try {
    await changing('auth', (c) => c.call('CONFIG', 'SET', 'masterauth', token));
    opts.step(`sending ${formatBytes(size)} to ${where(target)} as its replication master (${address})`);
    await changing('pointed', (c) => c.call('REPLICAOF', host, String(port)));
    await loaded(client, target, source, { ...opts, address });
  } catch (err) {
    failure = err;
  } finally {
    source.close();
  }
  if (client.status !== 'ready') {
    // Killed, timed out, or the server exited (Redis does on an RDB it cannot read): the sync is abandoned either way.
    const reason = failure === undefined ? '' : ` (${(failure as Error).message})`;
    failure = new LifeboatError(`Lifeboat's connection to ${at} closed during the load${reason}, so the load was abandoned`, undefined, { cause: failure });
  }
  const reconnected = await putBack(client, target, changes, { timeout, masterauth, address, failure });
  if (failure === undefined) return;
  if (!reconnected) throw failure;
  throw new LifeboatError(
    `${(failure as Error).message}; Lifeboat reconnected, made it a master again and put its masterauth back: its dataset may be empty or partial, so restore again (with --clean --yes)`,
    undefined,
    { cause: failure },
  );
}

/**
 * REPLICAOF NO ONE and the server's own masterauth, each tried on its own,
 * over a new connection when ours was lost (then true); throws a sentence
 * that says what is left to do by hand (never the masterauth itself).
 */
async function putBack(
  client: Redis,
  target: RedisTarget,
  changes: Changes,
  opts: { timeout: number; masterauth: string | undefined; address: string; failure: unknown },
): Promise<boolean> {
  if (!changes.auth && !changes.pointed) return false;
  const at = `the Redis at ${where(target)}`;
  const lead = opts.failure === undefined ? '' : `${(opts.failure as Error).message}; and `;
  const left = {
    pointed: `${at} may still be a replica of Lifeboat's port ${opts.address}, which has closed`,
    auth: `${at} may still have masterauth set to Lifeboat's one-time token`,
  };
  const fix = { pointed: 'REPLICAOF NO ONE', auth: `CONFIG SET masterauth ${opts.masterauth ? '<its previous masterauth>' : '""'}` };
  const which = (['pointed', 'auth'] as const).filter((c) => changes[c]);
  let control = client;
  let reconnected: Redis | undefined;
  if (client.status !== 'ready') {
    try {
      reconnected = control = await connectClient(target, opts.timeout);
    } catch (err) {
      throw new LifeboatError(
        `${lead}Lifeboat could not reconnect to put it back (${(err as Error).message}): ${which.map((c) => left[c]).join(', and ')}. Once it is up, run ${which.map((c) => fix[c]).join(' and ')} on it`,
        undefined,
        { cause: opts.failure ?? err },
      );
    }
  }
  const problems: string[] = [];
  try {
    if (changes.pointed) {
      await detach(control).catch((err: Error) => problems.push(`${left.pointed.replace(' may still be ', ' is still ')} (REPLICAOF NO ONE failed: ${err.message}); run ${fix.pointed} on it`));
    }
    if (changes.auth) {
      await control
        .call('CONFIG', 'SET', 'masterauth', opts.masterauth ?? '')
        .catch((err: Error) => problems.push(`${left.auth.replace(' may still have ', ' still has ')} (putting its own back failed: ${err.message}); run ${fix.auth} on it`));
    }
  } finally {
    reconnected?.disconnect();
  }
  if (problems.length > 0) throw new LifeboatError(`${lead}${problems.join('; and ')}`, undefined, { cause: opts.failure });
  return reconnected !== undefined;
}

/** Waits until the server has loaded what it was sent, or says why it will not. */
async function loaded(client: Redis, target: RedisTarget, source: SyncSource, opts: ReplicationLoadOptions & { address: string }): Promise<void> {
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
    let info: Record<string, string> | undefined;
    try {
      info = parseInfo(await call(client, target, opts.connectTimeout, (c) => c.info()));
    } catch (err) {
      // A server flushing a large dataset for the sync answers nothing for a while: still busy, not gone.
      if (!timedOut(err)) throw err;
    }
    if (source.sent && info?.master_link_status === 'up' && info.loading !== '1') return;
    if (!source.requested && !source.sent && Date.now() - started > HANDSHAKE_SECONDS * 1000) {
      throw new LifeboatError(
        `${at} did not ask Lifeboat for the sync within ${HANDSHAKE_SECONDS} s${source.problem ? ` (${source.problem})` : ''}: the server could not connect back to ${opts.address}, ` +
          `the address of Lifeboat's own connection to it. Behind NAT, a Docker-published port or an SSH tunnel that address is not reachable from the server, and a firewall may block the port; ` +
          `run Lifeboat where the server can connect to it, or restore with --to-dir`,
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
