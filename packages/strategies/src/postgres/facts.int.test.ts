import pg from 'pg';
import { describe, expect, test } from '@lifeboat/testkit';
import { collectFacts, userRelationCount } from './facts.js';

describe('postgres source facts (real server)', () => {
  test('exact counts of verify tables, estimates of all, and the relation count', async ({ pg: server, db }) => {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: db.name });
    await client.connect();
    try {
      expect(await userRelationCount(client)).toBe(0);
      await client.query('CREATE SCHEMA "Ärger"; CREATE TABLE "Ärger".t AS SELECT g FROM generate_series(1, 1234) g; CREATE TABLE u (id int); ANALYZE');
      const facts = await collectFacts(client, ['Ärger.t', 'u']);
      expect(facts.tables).toEqual({ 'Ärger.t': 1234, u: 0 });
      expect(facts.estimatedRows['Ärger.t']).toBe(1234);
      expect(facts.database).toBe(db.name);
      expect(facts.encoding).toBe('UTF8');
      expect(facts.serverVersionNum).toBeGreaterThanOrEqual(150000);
      expect(facts.databaseBytes).toBeGreaterThan(0);
      expect(await userRelationCount(client)).toBe(2);
      await expect(collectFacts(client, ['users'])).rejects.toThrow(`verify.tables lists users, which does not exist in database ${db.name}`);
    } finally {
      await client.end();
    }
  });

  test('counts taken in an exported snapshot ignore rows committed after it', async ({ pg: server, db }) => {
    const connect = async () => {
      const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: db.name });
      await c.connect();
      return c;
    };
    const writer = await connect();
    const reader = await connect();
    try {
      await writer.query('CREATE TABLE t AS SELECT g FROM generate_series(1, 10) g');
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await reader.query('SELECT pg_export_snapshot()');
      await writer.query('INSERT INTO t SELECT 11');
      expect((await collectFacts(reader, ['t'])).tables).toEqual({ t: 10 });
      await reader.query('COMMIT');
    } finally {
      await writer.end();
      await reader.end();
    }
  });
});
