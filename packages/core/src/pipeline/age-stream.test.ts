import { execFileSync } from 'node:child_process';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Decrypter, Encrypter } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { CopyUnusableError } from '../errors.js';
import { decryptStream, encryptStream, generateAgeIdentity } from './age.js';

/** Lifeboat's age payload is OpenSSL's ChaCha20-Poly1305 behind typage's header; these pin it to the format stock age and typage read and write. */
const CHUNK = 64 * 1024;
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 17, 1_000_003];

async function collect(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
/** Feeds `bytes` in pieces of `piece` bytes, as a network read might. */
function pieces(bytes: Buffer, piece: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) parts.push(bytes.subarray(at, at + piece));
  return Readable.from(parts.length ? parts : [Buffer.alloc(0)]);
}
const seal = async (plain: Buffer, recipients: string[], piece = 1 << 20) => collect(pieces(plain, piece).pipe(await encryptStream(recipients)));
const open = async (sealed: Buffer, identities: string[], piece = 1 << 20) => collect(pieces(sealed, piece).pipe(decryptStream(identities, 'the test file')));

describe('age payload through node’s ChaCha20-Poly1305', () => {
  const dir = scratchDir('age-stream-');

  it('what Lifeboat writes, stock age -d and typage read, at every chunk boundary', async () => {
    const me = await generateAgeIdentity();
    writeFileSync(join(dir, 'key.txt'), `${me.identity}\n`, { mode: 0o600 });
    for (const size of SIZES) {
      const plain = randomBytes(size);
      const sealed = await seal(plain, [me.recipient], 7000);
      writeFileSync(join(dir, 'f.age'), sealed);
      expect(execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'f.age')], { maxBuffer: 8 << 20 }).equals(plain), `stock age, ${size} bytes`).toBe(true);
      const typage = new Decrypter();
      typage.addIdentity(me.identity);
      expect(Buffer.from(await typage.decrypt(sealed)).equals(plain), `typage, ${size} bytes`).toBe(true);
      expect((await open(sealed, [me.identity])).equals(plain), `Lifeboat, ${size} bytes`).toBe(true);
    }
  });

  it('what stock age and typage write, Lifeboat reads, whatever pieces the bytes arrive in', async () => {
    const me = await generateAgeIdentity();
    const other = await generateAgeIdentity();
    for (const size of SIZES) {
      const plain = randomBytes(size);
      writeFileSync(join(dir, 'plain'), plain);
      execFileSync('age', ['-r', other.recipient, '-r', me.recipient, '-o', join(dir, 'stock.age'), join(dir, 'plain')]);
      const stock = readFileSync(join(dir, 'stock.age'));
      for (const piece of [1, 13, CHUNK + 16, 1 << 20]) {
        if (piece === 1 && size > CHUNK) continue; // byte by byte only where it is quick
        expect((await open(stock, [me.identity], piece)).equals(plain), `stock age, ${size} bytes in ${piece}-byte pieces`).toBe(true);
      }
      const typage = new Encrypter();
      typage.addRecipient(me.recipient);
      expect((await open(Buffer.from(await typage.encrypt(plain)), [other.identity, me.identity])).equals(plain), `typage, ${size} bytes`).toBe(true);
    }
  });

  it('every damaged, cut, extended or re-ordered stream and a stranger’s key are refused as an unusable copy — never as plaintext', async () => {
    const me = await generateAgeIdentity();
    const stranger = await generateAgeIdentity();
    const plain = randomBytes(3 * CHUNK + 100);
    const sealed = await seal(plain, [me.recipient]);
    const headerEnd = sealed.indexOf('\n', sealed.indexOf('\n--- ') + 1) + 1;
    const payload = headerEnd + 16;
    const flip = (at: number) => {
      const copy = Buffer.from(sealed);
      copy[at]! ^= 0x01;
      return copy;
    };
    const sealedChunk = CHUNK + 16;
    const cases: Array<[string, Buffer, string[]]> = [
      ['a stranger’s identity', sealed, [stranger.identity]],
      ['a bit of the header MAC', flip(headerEnd - 3), [me.identity]],
      ['a bit of a stanza', flip(30), [me.identity]],
      ['a bit of the nonce', flip(headerEnd + 2), [me.identity]],
      ['a bit of the first chunk', flip(payload + 5), [me.identity]],
      ['a bit of the last chunk', flip(sealed.length - 20), [me.identity]],
      ['a bit of a tag', flip(payload + sealedChunk - 1), [me.identity]],
      ['the last chunk cut off', sealed.subarray(0, payload + 3 * sealedChunk), [me.identity]],
      ['cut in the middle of a chunk', sealed.subarray(0, payload + sealedChunk + 1000), [me.identity]],
      ['cut inside the header', sealed.subarray(0, headerEnd - 10), [me.identity]],
      ['bytes added at the end', Buffer.concat([sealed, Buffer.from('more')]), [me.identity]],
      [
        'two chunks swapped',
        Buffer.concat([sealed.subarray(0, payload), sealed.subarray(payload + sealedChunk, payload + 2 * sealedChunk), sealed.subarray(payload, payload + sealedChunk), sealed.subarray(payload + 2 * sealedChunk)]),
        [me.identity],
      ],
      ['not age at all', randomBytes(5000), [me.identity]],
      ['empty', Buffer.alloc(0), [me.identity]],
    ];
    for (const [what, bytes, ids] of cases) {
      const err = await open(bytes, ids).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(CopyUnusableError);
      expect((err as Error).message, what).toMatch(/^cannot decrypt the test file with the identity at hand: /);
    }
    // Dropping the final chunk of a file whose length is a whole number of chunks leaves a "not last" chunk at the end.
    const whole = await seal(randomBytes(2 * CHUNK), [me.recipient]);
    const wholeHeader = whole.indexOf('\n', whole.indexOf('\n--- ') + 1) + 1 + 16;
    await expect(open(whole.subarray(0, wholeHeader + CHUNK + 16), [me.identity])).rejects.toThrow(/chunk 1 of the encrypted stream does not authenticate/);
    // A file that ends in an empty chunk after a full one (a writer that always adds an empty last chunk):
    // the spec allows an empty last chunk only for an empty payload, so it is refused.
    let fileKey: Uint8Array | undefined;
    const writer = new Encrypter();
    writer.addRecipient(me.recipient);
    writer.addRecipient({ wrapFileKey: (k: Uint8Array) => ((fileKey = k), []) });
    const head = Buffer.from(await writer.encrypt(new Uint8Array(0)));
    const headAndNonce = head.subarray(0, head.length - 16);
    const key = hkdfSync('sha256', fileKey!, headAndNonce.subarray(headAndNonce.length - 16), 'payload', 32);
    const sealChunk = (counter: number, last: boolean, plain: Buffer) => {
      const nonce = Buffer.alloc(12);
      nonce.writeUIntBE(counter, 5, 6);
      nonce[11] = last ? 1 : 0;
      const c = createCipheriv('chacha20-poly1305', Buffer.from(key), nonce, { authTagLength: 16 });
      return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    };
    const full = randomBytes(CHUNK);
    const forged = Buffer.concat([headAndNonce, sealChunk(0, false, full), sealChunk(1, true, Buffer.alloc(0))]);
    await expect(open(forged, [me.identity])).rejects.toThrow('the encrypted stream ends in an empty chunk');
    // …while the same chunk sealed as the last one, as age writes it, opens.
    expect((await open(Buffer.concat([headAndNonce, sealChunk(0, true, full)]), [me.identity])).equals(full)).toBe(true);
    expect((await open(await seal(Buffer.alloc(0), [me.recipient]), [me.identity])).length).toBe(0);
  });
});
