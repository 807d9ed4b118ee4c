/**
 * Fetches an RDB snapshot over the network the way `redis-cli --rdb` does: we
 * introduce ourselves as a replica, ask for a full sync, and read the RDB the
 * server sends before it would start streaming commands. No file access to
 * the Redis host is needed.
 *
 * The handshake: AUTH (when the URL has a password), INFO (for the
 * manifest's server facts, when asked: see ReplicaLink), `REPLCONF capa eof`,
 * `REPLCONF rdb-only 1` (Redis 7+: send the RDB and then close, instead of
 * keeping us as a replica; older servers answer an error, which we ignore and
 * simply close after the RDB), then `SYNC`. Replies are read one at a time:
 * Redis refuses SYNC while earlier replies are still unread.
 *
 * `capa eof` is what `redis-cli --rdb` announces too: a server with
 * `repl-diskless-sync yes` (the default since Redis 7) then streams the
 * snapshot while its child writes it, answering `$EOF:<40-byte mark>` and
 * ending the RDB with that mark. Nothing is written to the Redis host's disk,
 * and our checks and upload overlap with the snapshot instead of waiting for
 * it (docs/benchmarks-redis.md). The cost: the server first waits
 * `repl-diskless-sync-delay` (default 5 s) for other replicas, and its child
 * lives as long as we take to read. A server with diskless sync off writes
 * the snapshot to its disk first and answers `$<length>\r\n` followed by
 * exactly that many RDB bytes. Either way, while
 * the server prepares the snapshot it sends a bare `\n` every second to keep
 * the link alive; those are skipped. The EOF form carries no length, so a cut
 * transfer is caught by the missing mark (the connection closes first) and,
 * downstream, by the RDB's own CRC64 footer and structure (rdb-check.ts).
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { LifeboatError } from '@lifeboat/core';
import { openSocket, redisProblem, where, type RedisTarget } from './connection.js';

/** No byte at all for this long means a dead link: the server sends `\n` every second while it prepares. */
const IDLE_SECONDS = 60;
const EOF_MARK_BYTES = 40;
/**
 * The RDB is passed on in blocks of this size. Redis relays a diskless
 * snapshot in pieces of about 16 KiB, so the socket delivers ~5,000 chunks
 * for 80 MiB; each one passed on costs a trip through every stream
 * downstream (the RDB check, the hash, the fan-out) and one write system call
 * on the destination. Gathered into 256 KiB blocks (one copy, memcpy speed)
 * they cost a sixteenth of that.
 */
export const BLOCK_BYTES = 256 * 1024;

export interface ReplicaRdb {
  /** The RDB bytes; the stream errors if the connection ends before all of them arrived. */
  body: Readable;
  /** The size the server announced, when it did (length form). */
  bytes?: number;
}

export interface ReplicaSyncOptions {
  connectTimeout: number;
  /** How long the server may take to produce the snapshot before sending its first byte (bgsaveTimeout). */
  snapshotTimeout: number;
  signal: AbortSignal;
}

/** RESP for one command: an array of bulk strings. */
function command(...args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

/** Reads the handshake's one-line replies off the socket, keeping whatever follows the last one. */
class Replies {
  private buffer: Buffer = Buffer.alloc(0);
  private waiter?: () => void;
  private failure?: unknown;
  /** Time of the last byte received, for the idle timeout. */
  lastByteAt = Date.now();

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', this.onEnd);
  }

  private readonly onData = (chunk: Buffer) => {
    this.lastByteAt = Date.now();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.waiter?.();
  };

  private readonly onEnd = (err?: unknown) => {
    this.failure ??= err instanceof Error ? err : Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
    this.waiter?.();
  };

  /**
   * The next reply line without its line end. Bare `\n` keepalives are
   * skipped. Rejects with `timeout()` when `expired()` says so (checked each
   * time data arrives, and every 100 ms).
   */
  async line(expired: () => Error | undefined): Promise<string> {
    for (;;) {
      while (this.buffer[0] === 0x0a) {
        this.buffer = this.buffer.subarray(1);
      }
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.toString('latin1', 0, end);
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      await this.arrival(expired);
    }
  }

  /**
   * A bulk-string reply (`$<n>` then n bytes and a line end), as text; an
   * error reply is thrown as an Error with the server's message.
   */
  async bulk(expired: () => Error | undefined): Promise<string> {
    const header = await this.line(expired);
    if (header.startsWith('-')) throw new Error(header.slice(1));
    const size = /^\$(\d+)$/.exec(header);
    if (!size) throw new Error(`unexpected reply ${JSON.stringify(header.slice(0, 40))}`);
    const n = Number(size[1]);
    for (;;) {
      if (this.buffer.length >= n + 2) {
        const text = this.buffer.toString('utf8', 0, n);
        this.buffer = this.buffer.subarray(n + 2);
        return text;
      }
      await this.arrival(expired);
    }
  }

  /**
   * Waits for more data: throws the connection's failure, or `expired()`'s
   * error; otherwise resolves when data arrives or the connection ends, or
   * after 100 ms (so the deadline is checked again).
   */
  private async arrival(expired: () => Error | undefined): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const late = expired();
    if (late) throw late;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waiter = undefined;
  }

  /** Stops listening; returns the bytes received after the last reply line, and whether the connection has ended. */
  detach(): { rest: Buffer; ended: boolean } {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onEnd);
    this.socket.off('close', this.onEnd);
    return { rest: this.buffer, ended: this.failure !== undefined };
  }
}

function deadline(seconds: number, error: () => Error): () => Error | undefined {
  const at = Date.now() + seconds * 1000;
  return () => (Date.now() >= at ? error() : undefined);
}

/**
 * One connection to a server, authenticated, on which to ask for INFO and
 * then the snapshot: a backup needs nothing else from the server, so it
 * needs no second connection and no client library (loading ioredis alone
 * took longer than the rest of connecting).
 */
export interface ReplicaLink {
  /** `INFO` (all default sections), as text. */
  info(): Promise<string>;
  /** The handshake and SYNC; the link belongs to the returned body from then on. */
  sync(): Promise<ReplicaRdb>;
  /** Closes the connection (not needed after `sync`, which hands it to the body or closes it). */
  close(): void;
}

/** Connects and authenticates (AUTH when the URL has a password). Every failure is one sentence. */
export async function openReplicaLink(target: RedisTarget, opts: ReplicaSyncOptions): Promise<ReplicaLink> {
  const at = `Redis at ${where(target)}`;
  const socket = await openSocket(target, opts.connectTimeout, opts.signal);
  const replies = new Replies(socket);
  const replyWithin = () => deadline(opts.connectTimeout, () => new LifeboatError(`${at} did not answer within ${opts.connectTimeout} s (connectTimeout)`));
  const onAbort = () => socket.destroy(new LifeboatError('the backup was cancelled'));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    opts.signal.removeEventListener('abort', onAbort);
    replies.detach();
    socket.destroy();
  };
  /** Runs one phase of the conversation; on any failure the connection is closed and the error is a sentence. */
  const phase = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      close();
      if (opts.signal.aborted) throw new LifeboatError('the backup was cancelled');
      throw redisProblem(err, target, opts.connectTimeout);
    }
  };

  await phase(async () => {
    if (target.password === undefined) return;
    const auth = target.username === undefined ? command('AUTH', target.password) : command('AUTH', target.username, target.password);
    socket.write(auth);
    const reply = await replies.line(replyWithin());
    // A password the server does not need is what ioredis and redis-cli tolerate too.
    if (reply.startsWith('-') && !/without any password configured/i.test(reply)) throw new Error(reply.slice(1));
  });

  const info = () =>
    phase(async () => {
      socket.write(command('INFO'));
      return replies.bulk(replyWithin());
    });

  const sync = () =>
    phase(async () => {
      // Servers before 7.0 do not know rdb-only ("Unrecognized REPLCONF option"); the RDB comes all the same.
      for (const option of [['capa', 'eof'], ['rdb-only', '1']] as const) {
        socket.write(command('REPLCONF', ...option));
        const reply = await replies.line(replyWithin());
        if (/^-NOAUTH/.test(reply)) throw new Error(reply.slice(1));
      }

      socket.write(command('SYNC'));
      const snapshotDeadline = deadline(
        opts.snapshotTimeout,
        () => new LifeboatError(`${at} did not start sending its snapshot within ${opts.snapshotTimeout} s (bgsaveTimeout)`),
      );
      const header = await replies.line(() => {
        if (Date.now() - replies.lastByteAt > IDLE_SECONDS * 1000) return new LifeboatError(`${at} went silent for ${IDLE_SECONDS} s while preparing the snapshot`);
        return snapshotDeadline();
      });
      if (header.startsWith('-')) {
        const reply = header.slice(1);
        if (/^(NOAUTH|WRONGPASS)/.test(reply)) throw new Error(reply);
        throw refusedSync(at, reply);
      }

      const eofMark = /^\$EOF:(.{40})$/s.exec(header);
      const length = /^\$(\d+)$/.exec(header);
      if (!eofMark && !length) throw new LifeboatError(`${at} answered SYNC with ${JSON.stringify(header.slice(0, 40))}, not an RDB transfer`);
      opts.signal.removeEventListener('abort', onAbort);
      const { rest, ended } = replies.detach();
      const framing: Framing = eofMark ? { kind: 'eof', mark: Buffer.from(eofMark[1]!, 'latin1') } : { kind: 'length', bytes: Number(length![1]) };
      const body = new ReplicationBody(socket, framing, at, target, opts.connectTimeout);
      body.accept(rest);
      // The connection may have closed before we read the header: no 'close' event will come for the body.
      if (ended) body.inputEnded();
      return framing.kind === 'length' ? { body, bytes: framing.bytes } : { body };
    });

  return { info, sync, close };
}

/** SYNC refused: managed services, renamed commands, ACL users without +sync. Say what to do instead. */
function refusedSync(at: string, reply: string): LifeboatError {
  if (/^LOADING/.test(reply)) return new LifeboatError(`${at} is still loading its dataset (SYNC answered "${reply}"); run the backup again once it has`);
  return new LifeboatError(
    `${at} refused to send a snapshot over replication (SYNC answered "${reply}"); managed services and servers that rename or deny SYNC/PSYNC do this: set mode: bgsave (with rdbPath or exec) for this component`,
  );
}

type Framing = { kind: 'length'; bytes: number } | { kind: 'eof'; mark: Buffer };

/**
 * The RDB part of the replication stream, with back-pressure: the socket is
 * paused whenever the consumer's buffer is full. Ends after exactly the
 * announced bytes (or at the EOF mark); a connection that ends sooner makes
 * the stream error, so a cut transfer never looks like a complete RDB.
 */
class ReplicationBody extends Readable {
  private received = 0;
  private held: Buffer = Buffer.alloc(0);
  /** RDB bytes gathered, not yet passed on: block[0..filled). */
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private filled = 0;
  private finished = false;

  constructor(
    private readonly socket: Socket,
    private readonly framing: Framing,
    private readonly at: string,
    private readonly target: RedisTarget,
    private readonly connectTimeout: number,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    socket.on('data', (chunk: Buffer) => this.accept(chunk));
    socket.once('error', (err) => this.fail(redisProblem(err, target, connectTimeout)));
    socket.once('close', () => this.fail(this.cutShort()));
    socket.setTimeout(IDLE_SECONDS * 1000, () => {
      // Paused by back-pressure, silence is ours, not the server's: wait another round.
      if (socket.isPaused()) return void socket.setTimeout(IDLE_SECONDS * 1000);
      this.fail(new LifeboatError(`${this.at} sent nothing for ${IDLE_SECONDS} s in the middle of the RDB (${this.progress()})`));
    });
  }

  private progress(): string {
    return this.framing.kind === 'length' ? `${this.received} of ${this.framing.bytes} bytes` : `${this.received} bytes`;
  }

  private cutShort(): LifeboatError {
    return new LifeboatError(`the connection to ${this.at} closed after ${this.progress()} of the RDB; the snapshot is incomplete`);
  }

  accept(chunk: Buffer): void {
    if (this.finished || chunk.length === 0) return;
    if (this.framing.kind === 'length') {
      const take = Math.min(chunk.length, this.framing.bytes - this.received);
      this.received += take;
      const more = this.gather(chunk.subarray(0, take));
      if (this.received === this.framing.bytes) this.complete();
      else if (!more) this.socket.pause();
      return;
    }
    // The last EOF_MARK_BYTES bytes received are held back, as they may be the mark.
    const { mark } = this.framing;
    const held = this.held;
    const ready = held.length + chunk.length - EOF_MARK_BYTES;
    if (ready <= 0) {
      this.held = Buffer.concat([held, chunk]);
      return;
    }
    const last =
      chunk.length >= EOF_MARK_BYTES ? chunk.subarray(chunk.length - EOF_MARK_BYTES) : Buffer.concat([held.subarray(held.length - (EOF_MARK_BYTES - chunk.length)), chunk]);
    const fromHeld = held.subarray(0, Math.min(held.length, ready));
    const fromChunk = chunk.subarray(0, Math.max(0, ready - held.length));
    this.received += ready;
    let more = true;
    for (const part of [fromHeld, fromChunk]) if (part.length > 0) more = this.gather(part);
    if (last.equals(mark)) return this.complete();
    this.held = Buffer.from(last);
    if (!more) this.socket.pause();
  }

  /**
   * Copies `part` into the current block, passing each block on as it fills
   * (a fresh one each time: the consumers may still hold the last). Returns
   * false when the consumer's buffer is full.
   */
  private gather(part: Buffer): boolean {
    let more = true;
    for (let offset = 0; offset < part.length; ) {
      const n = part.copy(this.block, this.filled, offset);
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK_BYTES) more = this.passBlock();
    }
    return more;
  }

  private passBlock(): boolean {
    const full = this.block.subarray(0, this.filled);
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.filled = 0;
    return this.push(full);
  }

  /** The connection closed (seen before this body listened): whatever has not arrived never will. */
  inputEnded(): void {
    this.fail(this.cutShort());
  }

  private complete(): void {
    this.finished = true;
    if (this.filled > 0) this.passBlock();
    this.push(null);
    // The server would go on with the replication stream (before Redis 7) or close; either way we are done.
    this.socket.removeAllListeners('data');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.destroy(err);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.finished = true;
    this.socket.destroy();
    callback(err);
  }
}
