import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { EngineContext } from '@lifeboat/core';
import { COMPONENT, ContractWorkspace } from '../../contract/workspace.js';
import { postgresStrategy } from '../index.js';
import { walGet } from './get.js';
import { storeWalFile } from './push.js';
import { runWalPusher, type WalPusherResult } from './pusher.js';
import { listSpooled, spoolWalFile, type WalSpool } from './spool.js';
import { walSpool, walSpoolBacklog } from './wal-component.js';
import { parseWalFileName, type WalFile } from './wal-file.js';

const SYSID = '7442512345678901234';

/** A small WAL segment: a long page header naming the cluster, then random bytes. */
function segment(name: string, fill: Uint8Array = randomBytes(64 * 1024)): WalFile {
  const content = Buffer.from(fill);
  content.writeUInt16LE(0xd110, 0);
  content.writeUInt16LE(0x0002, 2);
  content.writeUInt32LE(parseInt(name.slice(0, 8), 16), 4);
  content.writeBigUInt64LE(BigInt(SYSID), 24);
  content.writeUInt32LE(16 * 1024 * 1024, 32);
  return { ...parseWalFileName(name)!, content, systemIdentifier: SYSID, segmentBytes: 16 * 1024 * 1024 };
}

const SEG = (n: number) => `00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}`;

describe('pitr.async: the WAL spool and its pusher', () => {
  let ws: ContractWorkspace;
  let ctx: EngineContext;
  let spool: WalSpool;
  let repo: string;
  const logs: string[] = [];
  const pusher = (opts: { abort?: AbortController } = {}): Promise<WalPusherResult> =>
    runWalPusher(opts.abort ? { ...ctx, signal: opts.abort.signal } : ctx, COMPONENT, {
      idleExitMs: 50,
      pollMs: 10,
      retry: { firstMs: 20, maxMs: 100 },
      log: (line) => logs.push(line),
    });
  const entryPath = (name: string) => join(repo, 'wal', COMPONENT, SYSID, name.slice(0, 8), `${name}.json`);
  const spooledNames = async () => (await listSpooled(spool)).map((f) => f.name);

  beforeEach(async () => {
    ws = await ContractWorkspace.create(postgresStrategy as never);
    repo = ws.repo;
    logs.length = 0;
    const plan = await ws.plan({
      config: {
        url: 'postgres://nobody@127.0.0.1:1/none',
        pitr: { baseBackups: '0 2 * * 0', walRpo: '5m', async: { spool: join(ws.dir, 'spool'), maxSize: '200KiB' } },
      },
      encrypted: true,
    });
    ctx = ws.engine(plan, {});
    spool = walSpool(ctx, COMPONENT)!;
  });

  afterEach(async () => {
    await rm(ws.dir, { recursive: true, force: true });
  });

  test('a spooled segment is durable in the spool before the pusher runs; the pusher stores it (entry and object) and empties the spool', async () => {
    const file = segment(SEG(1));
    expect((await spoolWalFile(spool, file)).outcome).toBe('spooled');
    const inSpool = join(spool.dir, SYSID, file.name);
    expect((await readFile(inSpool)).equals(file.content)).toBe(true);
    expect((await readFile(`${inSpool}.sha256`, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(await readdir(join(spool.dir, SYSID))).toEqual([file.name, `${file.name}.sha256`]);
    await expect(readFile(entryPath(file.name))).rejects.toThrow();

    const result = await pusher();
    expect(result).toMatchObject({ delivered: 1, failures: 0, stopped: 'idle' });
    const entry = JSON.parse(await readFile(entryPath(file.name), 'utf8')) as { bytes: number; stored: { name: string } };
    expect(entry.bytes).toBe(file.content.length);
    expect(entry.stored.name).toBe(`${file.name}.gz.age`);
    expect(await spooledNames()).toEqual([]);
    expect(await readdir(join(spool.dir, SYSID))).toEqual([]);
    // What the pusher delivered is what wal get hands back (from the destination: the spool no longer has it).
    const out = join(ws.dir, 'fetched');
    await expect(walGet(ctx, COMPONENT, file.name, out, () => undefined)).resolves.toMatchObject({
      outcome: 'restored',
      from: 'local',
    });
    expect((await readFile(out)).equals(file.content)).toBe(true);
    expect(await walSpoolBacklog(ctx, COMPONENT)).toMatchObject({ files: 0, bytes: 0, failing: 0, lastDelivered: { file: file.name }, pusher: { running: false } });
  });

  test('the same file spooled again is already-spooled; different content under its name is refused and nothing is overwritten', async () => {
    const file = segment(SEG(2));
    await spoolWalFile(spool, file);
    expect((await spoolWalFile(spool, segment(SEG(2), file.content))).outcome).toBe('already-spooled');
    await expect(spoolWalFile(spool, segment(SEG(2)))).rejects.toThrow(
      `${SEG(2)} is already in the WAL spool (${join(spool.dir, SYSID, SEG(2))}) with different content (65536 bytes there, 65536 bytes now); nothing was overwritten`,
    );
    expect((await readFile(join(spool.dir, SYSID, SEG(2)))).equals(file.content)).toBe(true);
  });

  test('over maxSize a push is refused with a sentence naming the spool, the limit and the field; nothing is written; room made, it is taken', async () => {
    await spoolWalFile(spool, segment(SEG(3)));
    await spoolWalFile(spool, segment(SEG(4)));
    await spoolWalFile(spool, segment(SEG(5)));
    const before = await readdir(join(spool.dir, SYSID));
    await expect(spoolWalFile(spool, segment(SEG(6)))).rejects.toThrow(
      `the WAL spool of ${COMPONENT} (${spool.dir}) holds 3 file(s), 192.0 KiB of its maxSize 200.0 KiB (${ctx.plan.file}: components.${COMPONENT}.pitr.async.maxSize), so ${SEG(6)} is not taken; PostgreSQL keeps it and retries`,
    );
    expect(await readdir(join(spool.dir, SYSID))).toEqual(before);
    await pusher();
    expect((await spoolWalFile(spool, segment(SEG(6)))).outcome).toBe('spooled');
  });

  test('a destination that fails: the file stays in the spool, the backlog names the error, and it is delivered once the destination works', async () => {
    // The destination folder is a file: every write fails (ENOTDIR), for root too.
    await writeFile(repo, '');
    const file = segment(SEG(7));
    await spoolWalFile(spool, file);
    const running = pusher();
    const backlog = await until(async () => {
      const b = await walSpoolBacklog(ctx, COMPONENT);
      return b?.lastError && b.lastError.attempts >= 2 ? b : undefined;
    });
    expect(backlog).toMatchObject({ files: 1, failing: 1, lastError: { file: file.name }, pusher: { running: true } });
    expect(logs.some((l) => l.startsWith(`${file.name} stays in the spool`))).toBe(true);
    expect(await spooledNames()).toEqual([file.name]);

    await rm(repo);
    const result = await running;
    expect(result.delivered).toBe(1);
    expect(result.failures).toBeGreaterThanOrEqual(2);
    expect(await spooledNames()).toEqual([]);
    await expect(readFile(entryPath(file.name), 'utf8')).resolves.toContain(file.name);
    expect(await walSpoolBacklog(ctx, COMPONENT)).toMatchObject({ files: 0, failing: 0 });
    expect(logs).toContain(`${file.name}: delivered after ${result.failures} failed attempt(s)`);
  });

  test('different content already archived under the name: the pusher reports the conflict and keeps the file; the same content is delivered (already archived)', async () => {
    const archived = segment(SEG(8));
    await storeWalFile(ctx, COMPONENT, archived, () => undefined);
    const same = segment(SEG(9));
    await storeWalFile(ctx, COMPONENT, same, () => undefined);
    await spoolWalFile(spool, segment(SEG(8)));
    await spoolWalFile(spool, same);
    const abort = new AbortController();
    const running = pusher({ abort });
    const backlog = await until(async () => {
      const b = await walSpoolBacklog(ctx, COMPONENT);
      return b?.lastError && b.files === 1 ? b : undefined;
    });
    abort.abort();
    expect((await running).stopped).toBe('aborted');
    expect(backlog.lastError!.message).toContain(`${SEG(8)} is already archived in destination 'local'`);
    expect(backlog.lastError!.message).toContain('with different content');
    expect(await spooledNames()).toEqual([SEG(8)]);
    expect(logs.some((l) => l.includes(`${SEG(9)}: already archived with the same content`))).toBe(true);
    const entry = JSON.parse(await readFile(entryPath(SEG(8)), 'utf8')) as { bytes: number; sha256: string };
    expect(entry.bytes).toBe(archived.content.length);
  });

  test('wal get finds a segment that is only in the spool, checked against its sha256; a damaged spooled copy is not handed over', async () => {
    const file = segment(SEG(10));
    await spoolWalFile(spool, file);
    const out = join(ws.dir, 'restored');
    const warnings: string[] = [];
    await expect(walGet(ctx, COMPONENT, file.name, out, (w) => warnings.push(w))).resolves.toMatchObject({ outcome: 'restored', bytes: file.content.length });
    expect((await readFile(out)).equals(file.content)).toBe(true);

    const damaged = Buffer.from(file.content);
    damaged[damaged.length - 1]! ^= 0xff;
    await writeFile(join(spool.dir, SYSID, file.name), damaged);
    await rm(out);
    await expect(walGet(ctx, COMPONENT, file.name, join(ws.dir, 'restored2'), (w) => warnings.push(w))).resolves.toMatchObject({ outcome: 'not-found' });
    expect(warnings.some((w) => w.includes('does not match its recorded sha256'))).toBe(true);
    await expect(readFile(join(ws.dir, 'restored2'))).rejects.toThrow();
  });

  test('one pusher per spool: a second one is refused while the first runs (exit 75)', async () => {
    await spoolWalFile(spool, segment(SEG(11)));
    const abort = new AbortController();
    const first = runWalPusher({ ...ctx, signal: abort.signal }, COMPONENT, { pollMs: 10, log: () => undefined });
    await until(async () => ((await walSpoolBacklog(ctx, COMPONENT))?.pusher.running ? true : undefined));
    await expect(pusher()).rejects.toMatchObject({ exitCode: 75 });
    abort.abort();
    await first;
  });
});

async function until<T>(check: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
