/**
 * A real Redis for tests, from a `redis:7` container or local binaries (see
 * services.ts), always with a password, as in production.
 */
import { randomBytes } from 'node:crypto';
import { readTestkitEnv } from './env.js';
import { redisCommand, type RespValue } from './resp.js';
import { containerRuntimeAnswers } from './runtime.js';
import { startService, type Via } from './services.js';

export interface TestRedis {
  via: Via;
  host: string;
  port: number;
  password: string;
  /** `redis://<host>:<port>` — no password. */
  url: string;
  /** REDISCLI_AUTH, so `redis-cli -h … -p …` authenticates without the password in argv. */
  env: Record<string, string>;
  /** One command over a fresh connection; error replies reject. */
  command(...args: string[]): Promise<RespValue>;
  /** FLUSHALL: an empty server for the next test. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

interface Server {
  via: Via;
  host: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

const IMAGE = 'redis:7';

function withCommands(s: Server): TestRedis {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const command = (...args: string[]) => redisCommand(s, ...args);
  return {
    ...s,
    url: `redis://${host}:${s.port}`,
    env: { REDISCLI_AUTH: s.password },
    command,
    flush: async () => {
      await command('FLUSHALL');
    },
  };
}

async function fromContainer(password: string): Promise<Server> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(IMAGE).withPassword(password).start();
  return {
    via: 'containers',
    host: container.getHost(),
    port: container.getPort(),
    password,
    stop: async () => {
      await container.stop();
    },
  };
}

async function fromLocalBinaries(password: string, path: string): Promise<Server> {
  const { startEphemeralRedis } = await import('@lifeboat/ephemeral');
  const server = await startEphemeralRedis({ password, path });
  return { via: 'local', host: server.host, port: server.port, password, stop: () => server.stop() };
}

/** Starts a Redis with a random password; call `stop()` when done. */
export async function startRedis(): Promise<TestRedis> {
  const env = readTestkitEnv();
  const password = randomBytes(18).toString('base64url');
  const server = await startService({
    name: 'Redis',
    mode: env.services,
    runtime: () => containerRuntimeAnswers(),
    containers: () => fromContainer(password),
    local: () => fromLocalBinaries(password, env.path),
  });
  return withCommands(server);
}
