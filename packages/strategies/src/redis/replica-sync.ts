/**
 * Fetches an RDB snapshot over the network the way `redis-cli --rdb` does: we
 * introduce ourselves as a replica, ask for a full sync, and read the RDB the
 * server sends before it would start streaming commands. No file access to
 * the Redis host is needed.
 *
 * The handshake: AUTH (when the URL has a password), `REPLCONF capa eof`,
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

export interface ReplicaRdb {
  /** The RDB bytes; the stream errors if the connection ends before all of them arrived. */
  body: Readable;
  /** The size the server announced, when it did (length form). */
  bytes?: number;
  /** The server's INFO, asked on the same connection before SYNC (options.info). */
  info?: string;
}

export interface ReplicaSyncOptions {
  connectTimeout: number;
  /** How long the server may take to produce the snapshot before sending its first byte (bgsaveTimeout). */
  snapshotTimeout: number;
  signal: AbortSignal;
  /** Ask INFO on the same connection first (one connection for the facts and the snapshot). */
  info?: boolean;
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
    return this.until(() => {
      while (this.buffer[0] === 0x0a) {
        this.buffer = this.buffer.subarray(1);
      }
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return undefined;
      const line = this.buffer.toString('latin1', 0, end);
      this.buffer = this.buffer.subarray(end + 2);
      return line;
    }, expired);
  }

  /** A bulk-string reply (`$<n>` then n bytes): its text; an error reply rejects with its message. */
  async bulk(expired: () => Error | undefined): Promise<string> {
    const head = await this.line(expired);
    if (head.startsWith('-')) throw new Error(head.slice(1));
    const size = /^\$(\d+)$/.exec(head);
    if (!size) throw new Error(`unexpected reply ${JSON.stringify(head.slice(0, 40))}`);
    const bytes = Number(size[1]);
    return this.until(() => {
      if (this.buffer.length < bytes + 2) return undefined;
      const text = this.buffer.toString('utf8', 0, bytes);
      this.buffer = this.buffer.subarray(bytes + 2);
      return text;
    }, expired);
  }

  /** What `found` takes from the buffer, once it can; the connection's end or `expired()` rejects first. */
  private async until<T>(found: () => T | undefined, expired: () => Error | undefined): Promise<T> {
    for (;;) {
      const got = found();
      if (got !== undefined) return got;
      if (this.failure !== undefined) throw this.failure;
      const late = expired();
      if (late) throw late;
      await this.more();
    }
  }

  /** Until data arrives, the connection ends, or 100 ms pass. */
  private async more(): Promise<void> {
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

export async function fetchReplicaRdb(target: RedisTarget, opts: ReplicaSyncOptions): Promise<ReplicaRdb> {
  const at = `Redis at ${where(target)}`;
  const socket = await openSocket(target, opts.connectTimeout, opts.signal);
  const replies = new Replies(socket);
  const problem = (err: unknown) => redisProblem(err, target, opts.connectTimeout);
  const replyWithin = () => deadline(opts.connectTimeout, () => new LifeboatError(`${at} did not answer within ${opts.connectTimeout} s (connectTimeout)`));
  const onAbort = () => socket.destroy(new LifeboatError('the backup was cancelled'));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (target.password !== undefined) {
      const auth = target.username === undefined ? command('AUTH', target.password) : command('AUTH', target.username, target.password);
      socket.write(auth);
      const reply = await replies.line(replyWithin());
      // A password the server does not need is what ioredis and redis-cli tolerate too.
      if (reply.startsWith('-') && !/without any password configured/i.test(reply)) throw new Error(reply.slice(1));
    }

    let info: string | undefined;
    if (opts.info) {
      // A server still loading its dataset answers INFO but not SYNC: wait for it, as a client's ready check does.
      const loaded = deadline(opts.snapshotTimeout, () => new LifeboatError(`${at} was still loading its dataset after ${opts.snapshotTimeout} s (bgsaveTimeout)`));
      for (;;) {
        socket.write(command('INFO'));
        info = await replies.bulk(replyWithin());
        if (!/^loading:1\r?$/m.test(info)) break;
        const late = loaded();
        if (late) throw late;
        await new Promise((r) => setTimeout(r, 200));
      }
    }

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
      if (/^LOADING/.test(reply)) throw new LifeboatError(`${at} is loading its dataset and cannot send a snapshot yet (SYNC answered "${reply}"); run the backup again when it has finished`);
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
    return { body, ...(framing.kind === 'length' ? { bytes: framing.bytes } : {}), ...(info === undefined ? {} : { info }) };
  } catch (err) {
    opts.signal.removeEventListener('abort', onAbort);
    replies.detach();
    socket.destroy();
    if (opts.signal.aborted) throw new LifeboatError('the backup was cancelled');
    throw problem(err);
  }
}

/** SYNC refused: managed services, renamed commands, ACL users without +sync. Say what to do instead. */
function refusedSync(at: string, reply: string): LifeboatError {
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
      const more = this.push(chunk.subarray(0, take));
      if (this.received === this.framing.bytes) this.complete();
      else if (!more) this.socket.pause();
      return;
    }
    // The last EOF_MARK_BYTES bytes received are held back, as they may be the mark. The
    // chunk itself is passed on as a view, not copied: copies were a tenth of the backup's CPU.
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
    for (const part of [fromHeld, fromChunk]) if (part.length > 0) more = this.push(part);
    if (last.equals(mark)) return this.complete();
    this.held = Buffer.from(last);
    if (!more) this.socket.pause();
  }

  /** The connection closed (seen before this body listened): whatever has not arrived never will. */
  inputEnded(): void {
    this.fail(this.cutShort());
  }

  private complete(): void {
    this.finished = true;
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
