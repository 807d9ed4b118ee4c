import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { Transform, type Duplex } from 'node:stream';
import { CopyUnusableError, LifeboatError } from '../errors.js';

/**
 * age (https://age-encryption.org), streamed: what Lifeboat writes, the stock
 * `age -d -i key.txt` reads. X25519 recipients only, so Debian's age 1.1 can
 * decrypt without plugins.
 *
 * Two halves, each where it is done best:
 * - the header (recipient stanzas, the wrapped file key, its HMAC) through
 *   typage, the reference TypeScript implementation, through its public API
 *   only — a few hundred bytes per file;
 * - the payload (age's STREAM: ChaCha20-Poly1305 over 64 KiB chunks, nonce =
 *   11-byte big-endian counter and a last-chunk flag) through node's OpenSSL
 *   ChaCha20-Poly1305: a quarter of the CPU JavaScript's took per encrypted WAL segment,
 *   where a restore of encrypted WAL or a big dump spent its CPU.
 * typage is loaded on first use, so runs without encryption do not pay for it.
 */
const age = () => import('age-encryption');
const CHUNK = 64 * 1024;
const TAG = 16;
const SEALED = CHUNK + TAG;
const NONCE = 16;
/** An age header is a few hundred bytes per recipient; one that does not end within this is not an age header. */
const MAX_HEADER = 1024 * 1024;

/** The payload key of one file: HKDF-SHA-256(file key, nonce, "payload"), as the age spec says. */
function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** The 12-byte ChaCha20-Poly1305 nonce of chunk `counter`: 11 bytes big-endian counter, then 1 for the last chunk. */
function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Seals one chunk, handing out its ciphertext and then its tag (two pieces, not joined: joining costs more than the cipher). */
function seal(key: Buffer, counter: number, last: boolean, plain: Buffer, out: (piece: Buffer) => void): void {
  const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG });
  out(cipher.update(plain));
  cipher.final();
  out(cipher.getAuthTag());
}

function open(key: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG) throw new Error('the encrypted stream is truncated');
  const decipher = createDecipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
  try {
    decipher.final();
  } catch {
    // The tag does not match: a damaged, altered, truncated or reordered chunk (the nonce holds its place and whether it is last).
    throw new Error(`chunk ${counter + 1} of the encrypted stream does not authenticate (damaged, altered or cut short)`);
  }
  return plain;
}

/**
 * Bytes that arrive in pieces of any size, taken out again `size` at a time —
 * without copying when a piece already holds all of it.
 */
class Pieces {
  private parts: Buffer[] = [];
  length = 0;
  push(part: Buffer): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.length += part.length;
  }
  take(size: number): Buffer {
    const first = this.parts[0];
    let out: Buffer;
    if (first && first.length >= size) {
      out = first.subarray(0, size);
      if (first.length === size) this.parts.shift();
      else this.parts[0] = first.subarray(size);
    } else {
      out = Buffer.allocUnsafe(size);
      let at = 0;
      while (at < size) {
        const part = this.parts[0]!;
        const n = Math.min(part.length, size - at);
        part.copy(out, at, 0, n);
        at += n;
        if (n === part.length) this.parts.shift();
        else this.parts[0] = part.subarray(n);
      }
    }
    this.length -= size;
    return out;
  }
  /** All that is pending, as one buffer (joined once; the header is read from this). */
  joined(): Buffer {
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0] ?? Buffer.alloc(0);
  }
}

/** A web stream's bytes, joined (a header's few hundred bytes). */
async function readWhole(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) parts.push(read.value);
  return Buffer.concat(parts);
}

export async function encryptStream(recipients: string[]): Promise<Duplex> {
  const { Encrypter } = await age();
  // typage writes the header: the recipients' stanzas and the HMAC under a
  // fresh file key, which it hands to every recipient — so a recipient that
  // only keeps the key (and adds no stanza) gives it to us. typage's output for
  // an empty payload is then header, 16-byte nonce, and one sealed empty chunk.
  let fileKey: Uint8Array | undefined;
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  encrypter.addRecipient({
    wrapFileKey(key: Uint8Array) {
      fileKey = key;
      return [];
    },
  });
  // The empty payload as a stream, read here: given bytes, typage reads its output back through `new Response()`,
  // whose first use loads node's fetch (undici) — tens of milliseconds of every encrypted backup's and WAL push's start.
  const empty = await readWhole(await encrypter.encrypt(new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })));
  if (!fileKey || empty.length < NONCE + TAG) throw new LifeboatError('age: could not make a file key');
  const headerAndNonce = Buffer.from(empty.subarray(0, empty.length - TAG));
  const key = payloadKey(fileKey, headerAndNonce.subarray(headerAndNonce.length - NONCE));
  fileKey = undefined;
  const pending = new Pieces();
  let counter = 0;
  return new Transform({
    construct(cb) {
      this.push(headerAndNonce);
      cb();
    },
    transform(chunk: Buffer, _enc, cb) {
      const out = (piece: Buffer) => this.push(piece);
      pending.push(chunk);
      // A full chunk is sealed as "not last" only once a byte after it has arrived.
      while (pending.length > CHUNK) seal(key, counter++, false, pending.take(CHUNK), out);
      cb();
    },
    flush(cb) {
      const out = (piece: Buffer) => this.push(piece);
      // The last chunk: full or short, and empty only when the whole payload is.
      seal(key, counter++, true, pending.take(pending.length), out);
      cb();
    },
  });
}

const MAC_LINE = Buffer.from('\n--- ');
const NEWLINE = Buffer.from('\n');

/**
 * The decrypter reads the age header before it hands out plaintext: the
 * header goes to typage (which parses it, unwraps the file key with the
 * identities and checks the header's HMAC); the payload is opened chunk by
 * chunk, each chunk's tag checked before its plaintext is passed on, the last
 * chunk known by its flag — so a truncated, extended, reordered or altered
 * stream errors. A wrong key or a damaged header errors it too.
 */
export function decryptStream(identities: string[], what: string): Duplex {
  const pending = new Pieces();
  let key: Buffer | undefined;
  let counter = 0;
  const header = async (): Promise<void> => {
    const head = pending.joined();
    const mac = head.indexOf(MAC_LINE);
    const end = mac < 0 ? -1 : head.indexOf(NEWLINE, mac + MAC_LINE.length);
    if (end < 0 || head.length < end + 1 + NONCE) {
      if (head.length > MAX_HEADER) throw new Error('no age header found');
      return;
    }
    const text = pending.take(end + 1);
    const nonce = pending.take(NONCE);
    const { Decrypter } = await age();
    const decrypter = new Decrypter();
    for (const identity of identities) decrypter.addIdentity(identity);
    key = payloadKey(await decrypter.decryptHeader(text), nonce);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      pending.push(chunk);
      const opened = () => {
        try {
          // One piece per input piece, not one per 64 KiB chunk: a stream's cost per piece is far above the cipher's.
          const plain: Buffer[] = [];
          while (key && pending.length > SEALED) plain.push(open(key, counter++, false, pending.take(SEALED)));
          cb(null, plain.length > 1 ? Buffer.concat(plain) : plain[0]);
        } catch (err) {
          cb(decryptError(what, err as Error));
        }
      };
      if (key) opened();
      else header().then(opened, (err: Error) => cb(decryptError(what, err)));
    },
    flush(cb) {
      try {
        if (!key) throw new Error('the file ends inside its age header');
        const last = open(key, counter, true, pending.take(pending.length));
        // Only a file with no payload at all ends in an empty chunk.
        if (last.length === 0 && counter > 0) throw new Error('the encrypted stream ends in an empty chunk');
        this.push(last);
        cb();
      } catch (err) {
        cb(decryptError(what, err as Error));
      }
    },
  });
}

/**
 * A copy that does not decrypt is unusable — damaged, tampered with, or made
 * for other recipients — and another copy may still be fine. typage's own
 * message is kept only when it is one a person can read.
 */
function decryptError(what: string, err: Error): CopyUnusableError {
  const readable = err instanceof Error && !(err instanceof TypeError) && /^[\x20-\x7e]+$/.test(err.message) && !/controller|kState/.test(err.message);
  const why = readable ? err.message : 'its encrypted stream is damaged';
  return new CopyUnusableError(`cannot decrypt ${what} with the identity at hand: ${why}`, undefined, { cause: err });
}

/** The `AGE-SECRET-KEY-1…` lines of an age identity file (comments and blank lines skipped). */
export function parseIdentities(text: string, field: string): string[] {
  const keys = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (keys.length === 0 || keys.some((k) => !k.startsWith('AGE-SECRET-KEY-1'))) {
    throw new LifeboatError(`${field} does not hold an age identity (expected lines starting with AGE-SECRET-KEY-1, as age-keygen writes)`);
  }
  return keys;
}

/** A new X25519 identity and its recipient, as `age-keygen` would make. */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const { generateX25519Identity, identityToRecipient } = await age();
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}
