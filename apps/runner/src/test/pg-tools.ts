import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** A binDir whose pg_dump is `script`; pg_restore and psql are the real ones. */
export async function fakeBinDir(dir: string, script: string, version = 'exec pg_dump --version'): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'pg_dump'), `#!/bin/sh\nif [ "$1" = "--version" ]; then ${version}; exit; fi\n${script}\n`);
  await chmod(join(bin, 'pg_dump'), 0o755);
  for (const tool of ['pg_restore', 'psql']) {
    await writeFile(join(bin, tool), `#!/bin/sh\nexec ${tool} "$@"\n`);
    await chmod(join(bin, tool), 0o755);
  }
  return bin;
}

/** A table `t` of `rows` rows of 64 characters each. */
export async function seed(url: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE t AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, ${rows}) g`);
  await client.end();
}

/** The rows of one statement, on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}
