/**
 * Servers the Redis tests stand up around the real one: a redis-server on a
 * restored folder (what an operator does after `restore --to-dir`), one that
 * speaks only TLS, a proxy that cuts the connection mid-transfer, and a server
 * that never answers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { selfSignedCertificate } from './redis-tls.js';

export { cuttingProxy } from '@lifeboat/testkit';

interface RunningRedis {
  client: Redis;
  stop(): Promise<void>;
}

/** Starts redis-server with `args` and waits until a client made by `connect` gets PONG. */
async function runRedisServer(args: string[], connect: () => Redis, what: string): Promise<RunningRedis> {
  const child = spawn('redis-server', [...args, '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(child, 'close');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server (${what}) exited: ${output}`);
    const client = connect();
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return { client, stop: async () => (client.disconnect(), stop()) };
    } catch {
      client.disconnect();
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`redis-server (${what}) did not come up: ${output}`);
}

const quiet = { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 } as const;

/** redis-server loading `dir/dump.rdb`, reachable only over a unix socket in `dir`. */
export function serveDir(dir: string): Promise<RunningRedis> {
  const socket = join(dir, 'redis.sock');
  return runRedisServer(['--port', '0', '--unixsocket', socket, '--dir', dir, '--dbfilename', 'dump.rdb'], () => new Redis({ path: socket, ...quiet }), dir);
}

/** redis-server speaking only TLS on 127.0.0.1, with the test certificate; `ca` is its file. */
export async function startTlsRedis(dir: string): Promise<RunningRedis & { port: number; ca: string }> {
  const { cert, key, certPem } = await selfSignedCertificate(dir);
  const port = await freePort();
  const args = ['--port', '0', '--bind', '127.0.0.1', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--dir', dir];
  const running = await runRedisServer(args, () => new Redis({ host: '127.0.0.1', port, tls: { ca: certPem, servername: 'localhost' }, ...quiet }), 'TLS');
  return { ...running, port, ca: cert };
}

async function listen(server: Server): Promise<{ port: number; server: Server }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port that was free a moment ago (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const { port, server } = await listen(createServer());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts connections and never says a word. */
export async function silentServer(): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  const { port } = await listen(server);
  return {
    host: '127.0.0.1',
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A client for a test server (its password, when it has one, from the fixture; never from a URL). */
export function redisClient(server: { host: string; port: number; password?: string }): Redis {
  return new Redis({ host: server.host, port: server.port, ...(server.password === undefined ? {} : { password: server.password }), maxRetriesPerRequest: 1 });
}
