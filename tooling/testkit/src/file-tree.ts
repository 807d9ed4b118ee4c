import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, lstat, lutimes, mkdir, readdir, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const isRoot = process.getuid?.() === 0;

/** When the tree's files were last modified: fixed, so restored mtimes can be compared to the second. */
const MTIME = new Date('2025-11-05T10:20:30Z');

/**
 * A configuration tree like the guide's: env files, compose file, nginx with
 * TLS, a script, owners other than root, links relative and absolute (one
 * dangling), empty folders and unicode names.
 */
export async function makeConfigTree(root: string): Promise<void> {
  const file = async (path: string, content: string, mode: number) => {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
    await chmod(join(root, path), mode);
  };
  await file('backend/.env.production', 'DATABASE_URL=postgres://civicq@db/civicq\nSECRET_KEY=not-really\n', 0o600);
  await file('frontend/.env.production', 'NEXT_PUBLIC_API=https://civicq.example\n', 0o640);
  await file('docker-compose.production.yml', 'services:\n  backend:\n    image: civicq/backend\n', 0o644);
  await file('nginx/nginx.conf', 'events {}\nhttp { include sites/*.conf; }\n', 0o644);
  await file('nginx/ssl/civicq.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 0o644);
  await file('nginx/ssl/civicq.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', 0o600);
  await file('scripts/backup-db.sh', '#!/bin/bash\nset -e\n', 0o755);
  await file('Grüße/日本.txt', 'こんにちは\n', 0o644);
  await mkdir(join(root, 'empty/nested-empty'), { recursive: true });
  await chmod(join(root, 'empty'), 0o750);
  await symlink('nginx/nginx.conf', join(root, 'current.conf'));
  await symlink('/etc/hostname', join(root, 'hostname'));
  await symlink('/nonexistent/dangling', join(root, 'dangling'));
  if (isRoot) {
    await chown(join(root, 'frontend/.env.production'), 1234, 2345);
    await chown(join(root, 'nginx/ssl'), 101, 101);
  }
  await settleTimes(root);
}

/** Sets every entry's mtime to MTIME (folders last, so their contents do not move them). */
export async function settleTimes(root: string): Promise<void> {
  const entries = await walk(root);
  for (const rel of [...entries.keys()].sort((a, b) => b.split('/').length - a.split('/').length)) {
    const path = rel === '' ? root : join(root, rel);
    await (entries.get(rel) === 'symlink' ? lutimes : utimes)(path, MTIME, MTIME);
  }
}

/**
 * Writes `bytes` of deterministic content in 1 MiB chunks, never holding more
 * than one in memory, and returns its sha256. Each 4 KiB block is one fixed
 * pseudo-random block stamped with its own number, so a block out of place
 * changes the hash, while gzip stays fast (the test measures Lifeboat, not zlib).
 */
export async function writeBigFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const BLOCK = 4096;
  const pattern = Buffer.alloc(BLOCK);
  let state = 0x2545f491;
  for (let i = 0; i < BLOCK; i += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    pattern.writeUInt32LE(state, i);
  }
  const CHUNK = 1024 * 1024;
  async function* generate() {
    for (let written = 0; written < bytes; written += CHUNK) {
      const chunk = Buffer.alloc(Math.min(CHUNK, bytes - written));
      for (let offset = 0; offset < chunk.length; offset += BLOCK) {
        pattern.copy(chunk, offset);
        const block = (written + offset) / BLOCK;
        if (offset + 8 <= chunk.length) {
          chunk.writeUInt32LE(block >>> 0, offset);
          chunk.writeUInt32LE(Math.imul(block, 2654435761) >>> 0, offset + 4);
        }
      }
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(Readable.from(generate()), createWriteStream(path));
  await utimes(path, MTIME, MTIME);
  return hash.digest('hex');
}

type Kind = 'file' | 'directory' | 'symlink' | 'other';

async function walk(root: string): Promise<Map<string, Kind>> {
  const out = new Map<string, Kind>([['', 'directory']]);
  const visit = async (rel: string) => {
    for (const entry of await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const kind: Kind = entry.isSymbolicLink() ? 'symlink' : entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other';
      out.set(child, kind);
      if (kind === 'directory') await visit(child);
    }
  };
  await visit('');
  return out;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/**
 * Everything a restore must bring back, per path below `root`: type, mode,
 * size, mtime (seconds), owner, and content hash or link target.
 */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [rel, kind] of await walk(root)) {
    const path = rel === '' ? root : join(root, rel);
    const st = await lstat(path);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const owner = `${st.uid}:${st.gid}`;
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (kind === 'file') out[rel || '.'] = `file ${mode} ${owner} ${st.size} bytes mtime ${mtime} sha256 ${await sha256(path)}`;
    else if (kind === 'directory') out[rel || '.'] = `directory ${mode} ${owner} mtime ${mtime}`;
    else if (kind === 'symlink') out[rel || '.'] = `symlink ${owner} mtime ${mtime} -> ${await readlink(path)}`;
    else out[rel || '.'] = 'other';
  }
  return out;
}
