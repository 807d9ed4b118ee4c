import { Duplex, PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CopyUnusableError, LifeboatError } from '../errors.js';

/**
 * age (https://age-encryption.org) through typage, the reference TypeScript
 * implementation, streamed in 64 KiB chunks: what Lifeboat writes, the stock
 * `age -d -i key.txt` reads. X25519 recipients only, so Debian's age 1.1 can
 * decrypt without plugins. Loaded on first use, so runs without encryption do
 * not pay for it at start-up.
 */
const age = () => import('age-encryption');
export async function encryptStream(recipients: string[]): Promise<Duplex> {
  const { Encrypter } = await age();
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  const input = new PassThrough();
  const output = await encrypter.encrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
  return Duplex.from({ writable: input, readable: Readable.fromWeb(output as unknown as WebReadableStream<Uint8Array>) });
}

/**
 * The decrypter reads the age header before it hands out the plaintext
 * stream, so the duplex is returned at once and fills its readable side when
 * the header has been read; a wrong key or a damaged header errors it.
 */
export function decryptStream(identities: string[], what: string): Duplex {
  const input = new PassThrough();
  const output = new PassThrough();
  age()
    .then(({ Decrypter }) => {
      const decrypter = new Decrypter();
      for (const identity of identities) decrypter.addIdentity(identity);
      return decrypter.decrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
    })
    .then(
    (plain) => {
      const readable = Readable.fromWeb(plain as unknown as WebReadableStream<Uint8Array>);
      readable.on('error', (err) => output.destroy(decryptError(what, err)));
      readable.pipe(output);
    },
    (err: Error) => output.destroy(decryptError(what, err)),
  );
  return Duplex.from({ writable: input, readable: output });
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
