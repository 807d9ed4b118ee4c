import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { generateAgeIdentity, parseIdentities } from './age.js';
import { fanout } from './fanout.js';
import { verifiedContent } from './verified-read.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('age encryption in the pipeline', () => {
  it('writes what the stock age CLI decrypts, and reads it back with the identity', async () => {
    const ops = await generateAgeIdentity();
    const breakGlass = await generateAgeIdentity();
    const input = await collect(generated(3_000_000));
    const store = new MemoryStorage('a');
    const result = await fanout(Readable.from([input]), [{ name: 'a', adapter: store, key: 'k.gz.age' }], { compress: true, encryptTo: [ops.recipient, breakGlass.recipient] });
    const stored = store.objects.get('k.gz.age')!;
    expect(result.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');

    // Either recipient's identity opens it with the stock tool: `age -d -i key | gunzip`.
    const dir = mkdtempSync(join(tmpdir(), 'age-'));
    try {
      for (const [i, who] of [ops, breakGlass].entries()) {
        writeFileSync(join(dir, `key${i}.txt`), `# created by a test\n${who.identity}\n`, { mode: 0o600 });
        writeFileSync(join(dir, 'k.gz.age'), stored);
        const plain = execFileSync('/bin/sh', ['-c', `age -d -i ${join(dir, `key${i}.txt`)} ${join(dir, 'k.gz.age')} | gunzip`], { maxBuffer: 64 * 1024 * 1024 });
        expect(plain.equals(input)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const artifact = { name: 'k.gz.age', bytes: result.bytes, sha256: result.sha256, compression: 'gzip' as const, encryption: 'age' as const, format: 'test' };
    const content = await collect(await verifiedContent(Readable.from([stored]), artifact, 'memory', { identities: async () => [breakGlass.identity] }));
    expect(content.equals(input)).toBe(true);
    await expect(verifiedContent(Readable.from([stored]), artifact, 'memory')).rejects.toThrow('k.gz.age is encrypted with age; set encryption.identity in the plan to read it');
    const stranger = await generateAgeIdentity();
    await expect(collect(await verifiedContent(Readable.from([stored]), artifact, 'memory', { identities: async () => [stranger.identity] }))).rejects.toThrow();
  });

  it('reads identity files as age-keygen writes them, and refuses anything else', () => {
    expect(parseIdentities('# created: 2026-02-14\n# public key: age1xyz\nAGE-SECRET-KEY-1ABC\n', 'encryption.identity')).toEqual(['AGE-SECRET-KEY-1ABC']);
    expect(() => parseIdentities('hunter2\n', 'encryption.identity')).toThrow(
      'encryption.identity does not hold an age identity (expected lines starting with AGE-SECRET-KEY-1, as age-keygen writes)',
    );
  });
});
