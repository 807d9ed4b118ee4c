import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Strategy } from '@lifeboat/core';
import { startEphemeralRedis } from '@lifeboat/ephemeral';
import { cuttingProxy, fingerprint, seedEveryType, startRedis, type TestRedis } from '@lifeboat/testkit';
import { strategyContract, type ContractSource } from '../contract/index.js';
import { redisStrategy } from './index.js';

let server: TestRedis;

/** `redis://:password@host:port`, for an environment variable (never the plan). */
function secretUrl(at: { host: string; port: number }, password: string): string {
  return `redis://:${encodeURIComponent(password)}@${at.host}:${at.port}`;
}

/**
 * A source is the suite's server, flushed, with keys of every type, TTLs and
 * several databases; a target is a throwaway redis-server with a password,
 * loaded over replication (`--to env:NAME`). The measure is every key's type,
 * content and absolute expiry, per database.
 */
async function cacheSource(): Promise<ContractSource> {
  await server.flush();
  const clients: Redis[] = [];
  const stops: Array<() => Promise<void>> = [];
  const client = (at: { host: string; port: number }, password: string) => {
    const made = new Redis({ host: at.host, port: at.port, password, maxRetriesPerRequest: 1 });
    clients.push(made);
    return made;
  };
  const measure = async (redis: Redis) => Object.fromEntries(await fingerprint(redis));
  const source = client(server, server.password);
  const env = { CONTRACT_SOURCE_URL: secretUrl(server, server.password) };
  return {
    // gzip'd (not the default), so the contract's stock-tool check runs gunzip too.
    config: { url: 'env:CONTRACT_SOURCE_URL', compress: true },
    env,
    secrets: [server.password],
    // Enough for an RDB well past the 64 KiB after which the dying source cuts the connection.
    fill: async () => void (await seedEveryType(source, 20_000)),
    measure: () => measure(source),
    // A connection that closes in the middle of the RDB, as a server that dies does.
    dying: async () => {
      const proxy = await cuttingProxy(server, 64 * 1024);
      stops.push(() => proxy.close());
      return { config: {}, env: { CONTRACT_SOURCE_URL: secretUrl(proxy, server.password) }, failure: /the connection to Redis at 127\.0\.0\.1:\d+ closed after \d+/ };
    },
    target: async (state) => {
      const password = randomBytes(12).toString('hex');
      const target = await startEphemeralRedis({ path: process.env.PATH, password });
      stops.push(() => target.stop());
      const admin = client(target, password);
      if (state === 'occupied') await admin.set('precious', 'data');
      return { request: { target: 'env:CONTRACT_TARGET_URL' }, env: { CONTRACT_TARGET_URL: secretUrl(target, password) }, measure: () => measure(admin) };
    },
    cleanup: async () => {
      for (const c of clients) c.disconnect();
      for (const stop of stops) await stop();
    },
  };
}

strategyContract('redis', {
  strategy: redisStrategy as Strategy<never>,
  start: async () => {
    server = await startRedis();
  },
  stop: async () => server?.stop(),
  source: cacheSource,
  confirm: { clean: true, yes: true },
  stockTools: { 'dump.rdb.gz': { command: 'gunzip | redis-check-rdb /dev/stdin', output: /RDB looks OK/ } },
  onChange: false,
});
