import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { describe, expect, test } from './index.js';

const run = promisify(execFile);

/** Connects the way a child process would: with the PG* variables the testkit hands out. */
async function query(env: Record<string, string>, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
  });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A PING spoken over a bare socket, as any client would. */
function rawPing(host: string, port: number, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.split('\r\n').length > 2) {
        socket.destroy();
        resolve(received);
      }
    });
  });
}

describe('the pg fixture', () => {
  test('is a PostgreSQL reached with its PG* variables; the URL has no password', async ({ pg }) => {
    expect(pg.url).not.toContain(pg.password);
    expect(pg.env).toMatchObject({ PGUSER: pg.user, PGPASSWORD: pg.password, PGDATABASE: 'postgres', PGPORT: String(pg.port) });
    const [row] = await query(pg.env, 'select current_user as who, 6 * 7 as answer');
    expect(row).toEqual({ who: pg.user, answer: 42 });
    console.info(`testkit PostgreSQL via ${pg.via} on ${pg.host}:${pg.port}`);
  });

  test('refuses a wrong password', async ({ pg }) => {
    await expect(query({ ...pg.env, PGPASSWORD: 'wrong' }, 'select 1')).rejects.toThrow(/password authentication failed/);
  });
});

describe('the db fixture', () => {
  // The two tests run one after the other on the same worker's server: the
  // second must not see the first one's table.
  test('gives each test its own empty database (first)', async ({ db, pg }) => {
    await query(db.env, 'create table marker (id int); insert into marker values (1)');
    expect(await query(db.env, 'select count(*)::int as n from marker')).toEqual([{ n: 1 }]);
    expect(db.env.PGDATABASE).toBe(db.name);
  });

  test('gives each test its own empty database (second)', async ({ db, pg }) => {
    const tables = await query(db.env, "select tablename from pg_tables where schemaname = 'public'");
    expect(tables).toEqual([]);
  });

  test('drops databases: the fixture\'s after each test, one made by hand on drop()', async ({ pg }) => {
    const made = await pg.createDatabase('testkit_drop_me');
    await query(made.env, 'select 1'); // a session that ends before the drop
    await made.drop();
    const left = await query(pg.env, "select datname from pg_database where datname like 'test%'");
    expect(left).toEqual([]);
  });

  test('copies a template when asked', async ({ pg }) => {
    const template = await pg.createDatabase();
    const copy = await (async () => {
      await query(template.env, 'create table seeded (v text); insert into seeded values ($$x$$)');
      return pg.createDatabase(undefined, { template: template.name });
    })();
    try {
      expect(await query(copy.env, 'select v from seeded')).toEqual([{ v: 'x' }]);
    } finally {
      await copy.drop();
      await template.drop();
    }
  });
});

describe('the redis fixture', () => {
  test('answers PING on a bare socket with its password, and refuses without', async ({ redis }) => {
    expect(redis.url).not.toContain(redis.password);
    expect(await rawPing(redis.host, redis.port, redis.password)).toBe('+OK\r\n+PONG\r\n');
    await expect(redis.command('PING')).resolves.toBe('PONG');
    const unauthenticated = await rawPing(redis.host, redis.port, 'wrong');
    expect(unauthenticated).toMatch(/^-(WRONGPASS|ERR)/);
    console.info(`testkit Redis via ${redis.via} on ${redis.host}:${redis.port}`);
  });

  test('redis-cli authenticates through env', async ({ redis }) => {
    await redis.command('SET', 'greeting', 'hello');
    const { stdout } = await run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'GET', 'greeting'], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...redis.env },
    });
    expect(stdout.trim()).toBe('hello');
  });

  test('freshRedis starts empty', async ({ freshRedis }) => {
    expect(await freshRedis.command('DBSIZE')).toBe(0);
    await freshRedis.command('RPUSH', 'list', 'a', 'b');
    expect(await freshRedis.command('LRANGE', 'list', '0', '-1')).toEqual(['a', 'b']);
  });
});
