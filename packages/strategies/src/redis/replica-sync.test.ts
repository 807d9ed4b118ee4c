/**
 * The replication handshake against a scripted fake master on loopback: the
 * framings and failure modes a real Redis rarely shows on demand (the EOF-mark
 * form, keepalives split across packets, a reply to AUTH that never comes).
 * The real thing is exercised by apps/runner/src/redis.int.test.ts.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, test } from 'vitest';
import type { RedisTarget } from './connection.js';
import { BLOCK_BYTES, openReplicaLink, type ReplicaSyncOptions } from './replica-sync.js';

/** Answers each command the client sends with the next scripted reply: bytes to write, in pieces. */
async function fakeMaster(script: (command: string, socket: Socket) => void) {
  const commands: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      // One command per packet: the client waits for each reply before sending the next.
      const words = chunk.toString('latin1').split('\r\n').filter((w) => w !== '' && !/^[*$]\d+$/.test(w));
      commands.push(words.join(' '));
      script(words.join(' '), socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const target: RedisTarget = { host: '127.0.0.1', port, db: 0, password: 'pw', display: `redis://127.0.0.1:${port}` };
  return { target, commands, close: () => server.close() };
}

/** Connect and SYNC at once: the link's snapshot, as the backup takes it after INFO. */
async function fetchReplicaRdb(target: RedisTarget, opts: ReplicaSyncOptions) {
  return (await openReplicaLink(target, opts)).sync();
}

const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.alloc(5000, 0x41), Buffer.from([0xff]), Buffer.alloc(8)]);
const MARK = 'a'.repeat(40);

async function collect(body: NodeJS.ReadableStream, parts: Buffer[] = []): Promise<Buffer> {
  await pipeline(
    body,
    new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        // A slow consumer: back-pressure must hold the socket, not lose bytes.
        setImmediate(cb);
      },
    }),
  );
  return Buffer.concat(parts);
}

const options = { connectTimeout: 2, snapshotTimeout: 5, signal: new AbortController().signal };
let close: (() => void) | undefined;
afterEach(() => close?.());

describe('fetchReplicaRdb', () => {
  test('AUTH, REPLCONF capa eof and rdb-only, SYNC; keepalives skipped; exactly the announced bytes, however they are split', async () => {
    const master = await fakeMaster((command, socket) => {
      if (command.startsWith('AUTH') || command.startsWith('REPLCONF')) socket.write('+OK\r\n');
      if (command === 'SYNC') {
        socket.write('\n');
        socket.write('\n\n');
        const framed = Buffer.concat([Buffer.from(`$${RDB.length}\r\n`), RDB, Buffer.from('*1\r\n$4\r\nPING\r\n')]);
        for (let i = 0; i < framed.length; i += 777) socket.write(framed.subarray(i, i + 777));
      }
    });
    close = master.close;
    const rdb = await fetchReplicaRdb(master.target, options);
    expect(rdb.bytes).toBe(RDB.length);
    expect((await collect(rdb.body)).equals(RDB)).toBe(true);
    expect(master.commands).toEqual(['AUTH pw', 'REPLCONF capa eof', 'REPLCONF rdb-only 1', 'SYNC']);
  });

  test('the diskless form ends at the EOF mark, which is not part of the RDB', async () => {
    const master = await fakeMaster((command, socket) => {
      if (command.startsWith('AUTH')) socket.write('+OK\r\n');
      // A server before 7.0 does not know rdb-only: harmless.
      if (command.startsWith('REPLCONF')) socket.write('-ERR Unrecognized REPLCONF option: rdb-only\r\n');
      if (command === 'SYNC') {
        socket.write(`$EOF:${MARK}\r\n`);
        socket.write(RDB.subarray(0, 100));
        socket.write(Buffer.concat([RDB.subarray(100), Buffer.from(MARK.slice(0, 15))]));
        socket.write(MARK.slice(15));
      }
    });
    close = master.close;
    const rdb = await fetchReplicaRdb(master.target, options);
    expect(rdb.bytes).toBeUndefined();
    expect((await collect(rdb.body)).equals(RDB)).toBe(true);
  });

  test.each([13, 39, 40, 41, 4096])('the diskless form split into pieces of %i bytes: exactly the RDB, no byte of the mark', async (piece) => {
    const master = await fakeMaster((command, socket) => {
      if (command !== 'SYNC') return void socket.write('+OK\r\n');
      socket.write(`$EOF:${MARK}\r\n`);
      const framed = Buffer.concat([RDB, Buffer.from(MARK)]);
      for (let i = 0; i < framed.length; i += piece) socket.write(framed.subarray(i, i + piece));
    });
    close = master.close;
    const rdb = await fetchReplicaRdb(master.target, options);
    expect((await collect(rdb.body)).equals(RDB)).toBe(true);
  });

  test('a connection closed before the last byte errors the stream', async () => {
    const master = await fakeMaster((command, socket) => {
      if (command !== 'SYNC') return void socket.write('+OK\r\n');
      socket.write(`$${RDB.length}\r\n`);
      socket.end(RDB.subarray(0, 1234));
    });
    close = master.close;
    const rdb = await fetchReplicaRdb(master.target, options);
    await expect(collect(rdb.body)).rejects.toThrow(/^the connection to Redis at 127\.0\.0\.1:\d+ closed after 1234 of 5018 bytes of the RDB; the snapshot is incomplete$/);
  });

  test('a refused SYNC says to use mode: bgsave; a refused AUTH says so', async () => {
    const refusing = await fakeMaster((command, socket) => {
      socket.write(command === 'SYNC' ? "-ERR unknown command 'SYNC', with args beginning with: \r\n" : '+OK\r\n');
    });
    close = refusing.close;
    await expect(fetchReplicaRdb(refusing.target, options)).rejects.toThrow(/refused to send a snapshot over replication \(SYNC answered "ERR unknown command 'SYNC'.*set mode: bgsave/);
    refusing.close();

    const wrong = await fakeMaster((_command, socket) => socket.write('-WRONGPASS invalid username-password pair or user is disabled.\r\n'));
    close = wrong.close;
    await expect(fetchReplicaRdb(wrong.target, options)).rejects.toThrow(/^Redis at 127\.0\.0\.1:\d+ rejected the password \(WRONGPASS\)$/);
  });

  test('a server that never answers AUTH fails after connectTimeout', async () => {
    const mute = await fakeMaster(() => {});
    close = mute.close;
    await expect(fetchReplicaRdb(mute.target, { ...options, connectTimeout: 0.3 })).rejects.toThrow(/did not answer within 0\.3 s \(connectTimeout\)/);
  });

  test('INFO on the same connection, its bulk reply split across packets; then the snapshot', async () => {
    const info = '# Server\r\nredis_version:7.2.4\r\nrole:master\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n';
    const master = await fakeMaster((command, socket) => {
      if (command === 'INFO') {
        const reply = `$${Buffer.byteLength(info)}\r\n${info}\r\n`;
        for (let i = 0; i < reply.length; i += 7) socket.write(reply.slice(i, i + 7));
        return;
      }
      if (command !== 'SYNC') return void socket.write('+OK\r\n');
      socket.write(Buffer.concat([Buffer.from(`$${RDB.length}\r\n`), RDB]));
    });
    close = master.close;
    const link = await openReplicaLink(master.target, options);
    expect(await link.info()).toBe(info);
    const rdb = await link.sync();
    expect((await collect(rdb.body)).equals(RDB)).toBe(true);
    expect(master.commands).toEqual(['AUTH pw', 'INFO', 'REPLCONF capa eof', 'REPLCONF rdb-only 1', 'SYNC']);
  });

  test('INFO refused: one sentence, and the connection is closed', async () => {
    const master = await fakeMaster((command, socket) => {
      socket.write(command === 'INFO' ? "-NOPERM this user has no permissions to run the 'info' command\r\n" : '+OK\r\n');
    });
    close = master.close;
    const link = await openReplicaLink({ ...master.target, username: 'backup' }, options);
    await expect(link.info()).rejects.toThrow(/^Redis at 127\.0\.0\.1:\d+ refused a command to user backup: NOPERM/);
  });

  test('a server still loading its dataset says so, not "use bgsave"', async () => {
    const master = await fakeMaster((command, socket) => {
      socket.write(command === 'SYNC' ? '-LOADING Redis is loading the dataset in memory\r\n' : '+OK\r\n');
    });
    close = master.close;
    await expect(fetchReplicaRdb(master.target, options)).rejects.toThrow(/is still loading its dataset .*run the backup again once it has$/);
  });

  test.each(['length', 'eof'] as const)('the %s form, sent in 16 KiB pieces, is passed on in whole blocks: the same bytes in far fewer chunks', async (form) => {
    const big = Buffer.concat([Buffer.from('REDIS0010'), Buffer.alloc(2 * BLOCK_BYTES + 12345, 0x42), Buffer.from([0xff]), Buffer.alloc(8)]);
    const master = await fakeMaster((command, socket) => {
      if (command !== 'SYNC') return void socket.write('+OK\r\n');
      const framed = form === 'length' ? Buffer.concat([Buffer.from(`$${big.length}\r\n`), big]) : Buffer.concat([Buffer.from(`$EOF:${MARK}\r\n`), big, Buffer.from(MARK)]);
      for (let i = 0; i < framed.length; i += 16 * 1024) socket.write(framed.subarray(i, i + 16 * 1024));
    });
    close = master.close;
    const rdb = await fetchReplicaRdb(master.target, options);
    const parts: Buffer[] = [];
    expect((await collect(rdb.body, parts)).equals(big)).toBe(true);
    expect(parts.map((p) => p.length)).toEqual([BLOCK_BYTES, BLOCK_BYTES, big.length - 2 * BLOCK_BYTES]);
  });
});
