import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { TarSniffer } from './tar-sniffer.js';

test('keeps the wanted members of a tar made by stock tar, whatever the chunk sizes, and passes every byte on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sniff-'));
  try {
    await mkdir(join(dir, 'base', 'a'.repeat(120)), { recursive: true });
    await writeFile(join(dir, 'backup_label'), 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
    await writeFile(join(dir, 'base', 'a'.repeat(120), 'big'), Buffer.alloc(70_000, 7));
    await writeFile(join(dir, 'backup_manifest'), '{"WAL-Ranges": []}\n');
    const tar = execFileSync('tar', ['-cf', '-', '-C', dir, 'backup_label', 'base', 'backup_manifest']);
    for (const size of [1, 100, 511, 512, 4096, tar.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < tar.length; i += size) chunks.push(tar.subarray(i, i + size));
      const sniffer = new TarSniffer(new Set(['backup_label', 'backup_manifest']));
      const out: Buffer[] = [];
      await pipeline(Readable.from(chunks), sniffer, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
      expect(Buffer.concat(out).equals(tar)).toBe(true);
      expect(sniffer.found.get('backup_label')?.toString()).toContain('START WAL LOCATION');
      expect(sniffer.found.get('backup_manifest')?.toString()).toBe('{"WAL-Ranges": []}\n');
      expect([...sniffer.found.keys()].sort()).toEqual(['backup_label', 'backup_manifest']);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
