/**
 * A real PostgreSQL for tests, from a `postgres:15` container or local
 * binaries (see services.ts), with cheap per-test databases.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { readTestkitEnv } from './env.js';
import { containerRuntimeAnswers } from './runtime.js';
import { startService, type Via } from './services.js';

export interface TestDatabase {
  name: string;
  /** `postgres://<user>@<host>:<port>/<name>` — no password. */
  url: string;
  /** PGHOST … PGPASSWORD with PGDATABASE set to this database. */
  env: Record<string, string>;
  /** Drops it, ending any sessions still connected. */
  drop(): Promise<void>;
}

export interface TestPostgres {
  via: Via;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The maintenance database, `postgres`. */
  database: string;
  /** `postgres://<user>@<host>:<port>/postgres` — no password; it travels in `env`. */
  url: string;
  /** PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE for child processes. */
  env: Record<string, string>;
  /** A new, empty database (a copy of `template`, template1 by default). */
  createDatabase(name?: string, opts?: { template?: string }): Promise<TestDatabase>;
  stop(): Promise<void>;
}

interface Server {
  via: Via;
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

const IMAGE = 'postgres:15';

function urlFor(s: Server, database: string): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  return `postgres://${encodeURIComponent(s.user)}@${host}:${s.port}/${encodeURIComponent(database)}`;
}

function envFor(s: Server, database: string): Record<string, string> {
  return { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, PGPASSWORD: s.password, PGDATABASE: database };
}

/** A client of one database of a test server (a TestDatabase, or a name), ended when `work` settles. */
export async function withDatabaseClient<T>(
  s: Pick<TestPostgres, 'host' | 'port' | 'user' | 'password'>,
  database: Pick<TestDatabase, 'name'> | string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const name = typeof database === 'string' ? database : database.name;
  const client = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database: name });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withDatabases(s: Server): TestPostgres {
  return {
    ...s,
    database: 'postgres',
    url: urlFor(s, 'postgres'),
    env: envFor(s, 'postgres'),
    async createDatabase(name = `test_${randomBytes(6).toString('hex')}`, opts = {}) {
      const template = opts.template ?? 'template1';
      await withDatabaseClient(s, 'postgres', (c) =>
        c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`),
      );
      return {
        name,
        url: urlFor(s, name),
        env: envFor(s, name),
        drop: () =>
          withDatabaseClient(s, 'postgres', async (c) => {
            await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
          }),
      };
    },
  };
}

async function fromContainer(): Promise<Server> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const password = randomBytes(18).toString('base64url');
  const container = await new PostgreSqlContainer(IMAGE)
    .withUsername('postgres')
    .withPassword(password)
    .withDatabase('postgres')
    .start();
  return {
    via: 'containers',
    host: container.getHost(),
    port: container.getPort(),
    user: container.getUsername(),
    password,
    stop: async () => {
      await container.stop();
    },
  };
}

async function fromLocalBinaries(path: string): Promise<Server> {
  const { startEphemeralPostgres } = await import('@lifeboat/ephemeral');
  const server = await startEphemeralPostgres({ path });
  return {
    via: 'local',
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    stop: () => server.stop(),
  };
}

/** Starts a PostgreSQL superuser-accessible server; call `stop()` when done. */
export async function startPostgres(): Promise<TestPostgres> {
  const env = readTestkitEnv();
  const server = await startService({
    name: 'PostgreSQL',
    mode: env.services,
    runtime: () => containerRuntimeAnswers(),
    containers: fromContainer,
    local: () => fromLocalBinaries(env.path),
  });
  return withDatabases(server);
}
