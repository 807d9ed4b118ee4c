/**
 * Just enough of the Redis protocol (RESP2) for tests to seed and inspect a
 * server without a client library: one connection per command.
 */
import { connect } from 'node:net';

export type RespValue = string | number | null | RespValue[];

export interface RedisAddress {
  host: string;
  port: number;
  password?: string;
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Parses one reply at `offset`; undefined when the buffer does not hold all of it yet. */
function parse(buf: Buffer, offset: number): { value: RespValue | Error; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol === -1) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buf.length < after + length + 2) return undefined;
      return { value: buf.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (item === undefined) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      return { value: new Error(`unexpected RESP reply type ${JSON.stringify(type)}`), next: buf.length };
  }
}

/** Sends one command (after AUTH when there is a password) and returns its reply; error replies reject. */
export function redisCommand(to: RedisAddress, ...args: string[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.host, port: to.port });
    const replies: (RespValue | Error)[] = [];
    const expected = to.password === undefined ? 1 : 2;
    let buf = Buffer.alloc(0);
    let offset = 0;
    const finish = (err: Error | undefined, value?: RespValue) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    socket.setTimeout(10_000, () => finish(new Error(`redis ${args[0] ?? ''}: no reply within 10 s`)));
    socket.once('error', (err) => finish(err));
    socket.once('connect', () => {
      socket.write((to.password === undefined ? '' : encode(['AUTH', to.password])) + encode(args));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const reply = parse(buf, offset);
        if (reply === undefined) break;
        replies.push(reply.value);
        offset = reply.next;
      }
      if (replies.length < expected) return;
      const [auth, result] = expected === 2 ? replies : [undefined, replies[0]];
      if (auth instanceof Error) return finish(new Error(`redis AUTH: ${auth.message}`));
      if (result instanceof Error) return finish(new Error(`redis ${args[0] ?? ''}: ${result.message}`));
      finish(undefined, result ?? null);
    });
  });
}
