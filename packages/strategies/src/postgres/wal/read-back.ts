import { createHash } from 'node:crypto';
import { describeError, formatBytes, type ArchiveVerification, type ArchiveVerifyContext } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { listArchive, type ListedWalFile } from './archive-listing.js';
import { entryContent } from './get.js';

const ARCHIVE = 'WAL archive';

/**
 * `verify` of the WAL archive in one destination: every file's entry must
 * have its stored object at the size the entry says; a sample of files (all
 * with --deep) is read whole — stored sha256, then decrypted and gunzipped
 * to the plaintext sha256 `wal get` checks. The newest segment is always in
 * the sample: it is the one a restore to latest cannot do without.
 */
export async function walReadBack(ctx: ArchiveVerifyContext<PostgresConfig>): Promise<ArchiveVerification> {
  const { repository, component } = ctx;
  const result: ArchiveVerification = { archive: ARCHIVE, destination: repository.name, files: 0, read: 0, problems: [], summary: '' };
  const listing = await listArchive(repository, component);
  if (!listing) {
    result.summary = `${ARCHIVE} of ${component} in ${repository.name}: nothing archived`;
    return result;
  }
  result.files = listing.files.length;
  result.problems.push(...listing.problems);
  for (const f of listing.files) {
    if (!f.object) result.problems.push(`${f.entry.file} in ${repository.description}: its entry is there but its stored object ${f.entry.stored.name} is missing`);
    else if (f.object.bytes !== f.entry.stored.bytes) {
      result.problems.push(`${f.entry.file} in ${repository.description} is damaged: its stored object has ${f.object.bytes} bytes, its entry says ${f.entry.stored.bytes}`);
    }
  }
  const present = listing.files.filter((f) => f.object && f.object.bytes === f.entry.stored.bytes);
  const chosen = new Set(ctx.sample(present, (f) => `${component}/${repository.name}/${f.entry.file}`));
  const newest = present.filter((f) => f.entry.kind === 'segment').at(-1);
  if (newest) chosen.add(newest);
  const decrypts = !!ctx.engine.plan.encryption?.identity;
  let bytes = 0;
  for (const f of [...chosen].sort((a, b) => a.entry.file.localeCompare(b.entry.file))) {
    if (ctx.engine.signal?.aborted) break;
    try {
      bytes += await readWhole(ctx, f, decrypts);
      result.read++;
    } catch (err) {
      result.problems.push(`${f.entry.file} in ${repository.description}: ${describeError(err)}`);
    }
  }
  const how = decrypts || !present.some((f) => f.entry.stored.encryption === 'age') ? 'sha256 of stored bytes and plaintext' : 'sha256 of stored bytes only: no identity here to decrypt';
  const sizes = result.problems.length === 0 ? ", every entry's object present at its size" : `; ${result.problems.length} problem(s)`;
  result.summary = `${ARCHIVE} of ${component} in ${repository.name}: ${result.read} of ${result.files} file(s) read whole (${formatBytes(bytes)}; ${how}; ${ctx.sampling})${sizes}`;
  return result;
}

/** Reads one file whole; resolves the stored bytes read, rejects naming the damage. */
async function readWhole(ctx: ArchiveVerifyContext<PostgresConfig>, f: ListedWalFile, decrypts: boolean): Promise<number> {
  const { repository, component } = ctx;
  if (decrypts || f.entry.stored.encryption !== 'age') {
    const content = await entryContent(ctx.engine, repository, component, f.entry);
    for await (const _chunk of content) {
      // entryContent checks both hashes as the bytes go by and errors at the end on a mismatch.
    }
    return f.entry.stored.bytes;
  }
  // A host without the identity still proves the stored bytes are the ones archived.
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await repository.answered(repository.adapter.get(f.objectKey))) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== f.entry.stored.sha256 || bytes !== f.entry.stored.bytes) {
    throw new Error(`damaged: read ${bytes} bytes with sha256 ${sha256.slice(0, 12)}…, its entry says ${f.entry.stored.bytes} bytes with sha256 ${f.entry.stored.sha256.slice(0, 12)}…`);
  }
  return bytes;
}
