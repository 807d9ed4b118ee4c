import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readCatalog, runBackup, type Strategy } from '@lifeboat/core';
import { describe, expect, test, withDatabaseClient, type TestDatabase } from '@lifeboat/testkit';
import { COMPONENT, ContractWorkspace } from '../contract/workspace.js';
import { deflateSync } from 'node:zlib';
import { DumpRowCounter, parseHead } from './dump-rows.js';
import { streamCountable } from './facts.js';
import { postgresStrategy } from './index.js';

const run = promisify(execFile);

/**
 * Rows that stress the counting: values with newlines, backslashes and a lone
 * `\.` (COPY escapes them all), an empty table, a quoted name, an inheritance
 * parent (its count(*) includes its child's rows, its COPY does not), a
 * partitioned table, large objects between the data blocks, and enough
 * random text that a table's data spans many compressed chunks.
 */
const FILL = `
  CREATE TABLE plain_t (id int, note text);
  INSERT INTO plain_t SELECT g, CASE g % 5 WHEN 0 THEN E'line\\nbreak' WHEN 1 THEN E'back\\\\slash\\\\.' WHEN 2 THEN E'\\\\.' WHEN 3 THEN md5(g::text) || md5((g * 7)::text) END
    FROM generate_series(1, 40000) g;
  CREATE TABLE empty_t (id int);
  CREATE SCHEMA "Ärger";
  CREATE TABLE "Ärger"."Tabelle mit Leerzeichen" (v text);
  INSERT INTO "Ärger"."Tabelle mit Leerzeichen" SELECT E'ä\\r\\n' || g FROM generate_series(1, 300) g;
  CREATE TABLE parent (id int);
  CREATE TABLE child () INHERITS (parent);
  INSERT INTO parent VALUES (1), (2);
  INSERT INTO child VALUES (3);
  CREATE TABLE part (id int) PARTITION BY RANGE (id);
  CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (100);
  INSERT INTO part SELECT generate_series(0, 99);
  SELECT lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
`;

const TABLES = ['plain_t', 'empty_t', 'Ärger.Tabelle mit Leerzeichen', 'parent', 'part', 'part_1', 'child'];

async function dumpOf(db: TestDatabase): Promise<Buffer> {
  const { stdout } = await run('pg_dump', ['--format=custom', '--no-password'], { env: { ...process.env, ...db.env }, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Feeds `bytes` in pieces of 1 to 5,000 bytes (a fixed sequence), as a pipe might deliver them. */
async function countPieces(counter: DumpRowCounter, bytes: Buffer): Promise<void> {
  let seed = 7;
  for (let at = 0; at < bytes.length; ) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (seed % 5000);
    await counter.feed(bytes.subarray(at, at + size));
    at += size;
  }
}

describe('row counts from the dump stream (real pg_dump)', () => {
  test('every plain table counted from a custom dump equals count(*) in the same data, whatever the chunking', async ({ pg: server, db }) => {
    const truth = await withDatabaseClient(server, db, async (client) => {
      await client.query(FILL);
      const out: Record<string, number> = {};
      const oids: Record<string, string> = {};
      for (const table of TABLES) {
        const name = table.includes('.') ? '"Ärger"."Tabelle mit Leerzeichen"' : table;
        out[table] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${name}`)).rows[0]!.n);
        oids[table] = (await client.query<{ oid: string }>('SELECT $1::regclass::oid::text AS oid', [name])).rows[0]!.oid;
      }
      return { counts: out, oids };
    });
    expect(truth.counts['plain_t']).toBe(40000);
    const bytes = await dumpOf(db);
    const plain = ['plain_t', 'empty_t', 'Ärger.Tabelle mit Leerzeichen', 'part_1', 'child'];

    // Whole chunks, through the pass-through the backup uses.
    const whole = new DumpRowCounter(new Set(plain.map((t) => truth.oids[t]!)));
    await countPieces(whole, bytes);
    const { counts, reason } = await whole.result();
    expect(reason).toBeUndefined();
    expect(Object.fromEntries(plain.map((t) => [t, counts.get(truth.oids[t]!)]))).toEqual(Object.fromEntries(plain.map((t) => [t, truth.counts[t]])));

    // One piece at once: the same counts.
    const once = new DumpRowCounter(new Set([truth.oids['plain_t']!]));
    await once.feed(bytes);
    expect((await once.result()).counts.get(truth.oids['plain_t']!)).toBe(40000);
  });

  test('a cut or damaged stream counts nothing and says why (the caller counts on the server)', async ({ pg: server, db }) => {
    const oid = await withDatabaseClient(server, db, async (client) => {
      await client.query(FILL);
      return (await client.query<{ oid: string }>(`SELECT 'plain_t'::regclass::oid::text AS oid`)).rows[0]!.oid;
    });
    const bytes = await dumpOf(db);
    const cut = new DumpRowCounter(new Set([oid]));
    await cut.feed(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const fromCut = await cut.result();
    expect(fromCut.counts.size).toBe(0);
    expect(fromCut.reason).toMatch(/ended inside a data block|does not inflate|end-of-data/);

    // One flipped byte in the middle of the table data: zlib's checksum or the structure refuses it.
    const damaged = Buffer.from(bytes);
    const at = Math.floor(bytes.length * 0.5);
    damaged[at] = damaged[at]! ^ 0x55;
    const hurt = new DumpRowCounter(new Set([oid]));
    await countPieces(hurt, damaged);
    const fromHurt = await hurt.result();
    expect(fromHurt.counts.size).toBe(0);
    expect(fromHurt.reason).toBeDefined();

    // Not a custom archive at all.
    const other = new DumpRowCounter(new Set([oid]));
    await other.feed(Buffer.from('-- PostgreSQL database dump\n'));
    expect(await other.result()).toEqual({ counts: new Map(), reason: 'the stream is not a pg_dump custom archive' });
  });

  test('a block counts only if its COPY text ends with a whole row and pg_dump\'s end-of-data line', async ({ pg: server, db }) => {
    const oid = await withDatabaseClient(server, db, async (client) => {
      await client.query('CREATE TABLE t (v text); INSERT INTO t VALUES (1)');
      return (await client.query<{ oid: string }>(`SELECT 't'::regclass::oid::text AS oid`)).rows[0]!.oid;
    });
    // The real archive's header and table of contents, then a data block for t written here.
    const real = await dumpOf(db);
    const head = parseHead(real);
    const dumpId = [...head.dataOids].find(([, o]) => o === oid)![0];
    const int = (n: number) => {
      const b = Buffer.alloc(1 + head.intSize);
      for (let i = 0; i < head.intSize; i++) b[1 + i] = Math.floor(n / 2 ** (8 * i)) & 0xff;
      return b;
    };
    const archive = (text: string) => {
      const data = deflateSync(Buffer.from(text));
      return Buffer.concat([real.subarray(0, head.end), Buffer.from([1]), int(dumpId), int(data.length), data, int(0)]);
    };
    const count = async (text: string) => {
      const counter = new DumpRowCounter(new Set([oid]));
      await counter.feed(archive(text));
      return counter.result();
    };
    expect((await count('a\nb\n\\.\n\n\n')).counts.get(oid)).toBe(2);
    expect((await count('\\.\n\n\n')).counts.get(oid)).toBe(0);
    expect(await count('a\nb\n')).toEqual({ counts: new Map(), reason: `the data of table oid ${oid} does not end with pg_dump's end-of-data line` });
    expect((await count('a\nb\\.\n\n\n')).reason).toMatch(/end-of-data/);
  });

  test('only plain tables without child tables are counted from the stream', async ({ pg: server, db }) => {
    const found = await withDatabaseClient(server, db, async (client) => {
      await client.query(FILL);
      return streamCountable(client, ['plain_t', 'parent', 'part', 'part_1', 'Ärger.Tabelle mit Leerzeichen']);
    });
    expect([...found.keys()]).toEqual(['plain_t', 'part_1', 'Ärger.Tabelle mit Leerzeichen']);
  });

  test('a backup records count(*) of each verified table: streamed ones and a parent counted on the server', async ({ pg: server, db }) => {
    await withDatabaseClient(server, db, (client) => client.query(FILL));
    const ws = await ContractWorkspace.create(postgresStrategy as Strategy<never>);
    try {
      const url = new URL(db.url);
      url.password = server.password;
      const plan = await ws.plan({ config: { url: 'env:DUMP_ROWS_URL', verify: { tables: ['plain_t', 'parent', 'part', 'Ärger.Tabelle mit Leerzeichen', 'empty_t'] } } });
      const result = (await runBackup(ws.engine(plan, { DUMP_ROWS_URL: url.toString(), XDG_STATE_HOME: join(ws.dir, 'state') }), [COMPONENT])).results[0]!;
      expect(result.error).toBeUndefined();
      const [entry] = await readCatalog(plan, ws.registry, { component: COMPONENT });
      expect(entry!.manifest.facts.tables).toEqual({ plain_t: 40000, parent: 3, part: 100, 'Ärger.Tabelle mit Leerzeichen': 300, empty_t: 0 });
      const steps = ws.events.flatMap((e) => (e.type === 'step' ? [e.message] : []));
      expect(steps.some((s) => /row counts of 5 table\(s\) in the dump's snapshot: 3 counted from the dump stream .*, 2 counted on the server after it/.test(s))).toBe(true);
    } finally {
      await ws.cleanup();
    }
  });
});
