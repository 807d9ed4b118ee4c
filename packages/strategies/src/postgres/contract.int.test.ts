import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { awkwardSqlFile, databaseFingerprint, startPostgres, type TestDatabase, type TestPostgres } from '@lifeboat/testkit';
import type { Strategy } from '@lifeboat/core';
import { strategyContract, type ContractSource } from '../contract/index.js';
import { postgresStrategy } from './index.js';

let server: TestPostgres;

/** The URL with its password, for an environment variable (never the plan). */
function secretUrl(db: TestDatabase): string {
  const url = new URL(db.url);
  url.password = server.password;
  return url.toString();
}

async function sql(db: TestDatabase, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: secretUrl(db) });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A binDir whose pg_dump dies (SIGKILL) after 64 KiB of real output, as one
 * killed by the OOM killer would; pg_restore and psql are the real ones.
 */
async function dyingBinDir(dir: string): Promise<string> {
  const bin = join(dir, 'dying-bin');
  await mkdir(bin, { recursive: true });
  const tools = {
    pg_dump: 'if [ "$1" = "--version" ]; then exec pg_dump --version; fi\npg_dump "$@" | { head -c 65536; kill -9 $$; }',
    pg_restore: 'exec pg_restore "$@"',
    psql: 'exec psql "$@"',
  };
  for (const [tool, body] of Object.entries(tools)) {
    await writeFile(join(bin, tool), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, tool), 0o755);
  }
  return bin;
}

/** A source is a fresh database on the suite's server, filled with awkward.sql; a target is another database there. */
async function databaseSource(dir: string): Promise<ContractSource> {
  const source = await server.createDatabase();
  const made: TestDatabase[] = [source];
  const config = { url: 'env:CONTRACT_SOURCE_URL', verify: { tables: ['awkward', 'Ärger.Tabelle mit Leerzeichen'] } };
  const env = { CONTRACT_SOURCE_URL: secretUrl(source) };
  return {
    config,
    env,
    secrets: [server.password],
    fill: async () => sql(source, await readFile(awkwardSqlFile, 'utf8')),
    measure: () => databaseFingerprint(secretUrl(source)),
    dying: async () => ({ config: { binDir: await dyingBinDir(dir) }, env, failure: /pg_dump was killed by SIGKILL/ }),
    target: async (state) => {
      const target = await server.createDatabase();
      made.push(target);
      if (state === 'occupied') await sql(target, 'CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 10) g');
      return { request: { target: 'env:CONTRACT_TARGET_URL' }, env: { CONTRACT_TARGET_URL: secretUrl(target) }, measure: () => databaseFingerprint(secretUrl(target)) };
    },
    cleanup: async () => {
      for (const db of made) await db.drop();
    },
  };
}

strategyContract('postgres', {
  strategy: postgresStrategy as Strategy<never>,
  start: async () => {
    server = await startPostgres();
  },
  stop: async () => server?.stop(),
  source: databaseSource,
  confirm: { clean: true, yes: true },
  stockTools: { 'database.dump': { command: 'pg_restore --list', output: /TABLE DATA public awkward / } },
  onChange: false,
});
