import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { CopyUnusableError, LifeboatError, describeError, identitiesFor, verifiedContent, type EngineContext, type Repository } from '@lifeboat/core';
import { clusterKey, entryKey, parseClusterMarker, parseEntry, timelineDir, type WalEntry } from './archive-layout.js';
import { walFileName } from './wal-file.js';
import { walComponent, walSpool } from './wal-component.js';
import { getSpooled } from './spool.js';

export type WalGetResult =
  | { outcome: 'restored'; file: string; from: string; bytes: number }
  /** No destination holds it, and every destination answered: the end of the archive. */
  | { outcome: 'not-found'; file: string };

/**
 * restore_command: writes `file` to `destination` only once its stored bytes
 * and its plaintext match the entry (through `<destination>.tmp`, renamed).
 * A damaged or unreadable copy hands over to the next destination.
 *
 * "Not found" is only said when every destination answered that it has no
 * such file; a destination that cannot be asked, or copies that are all
 * damaged, reject: ending recovery early there would lose data silently.
 */
export async function walGet(ctx: EngineContext, component: string, fileName: string, destination: string, warn: (message: string) => void): Promise<WalGetResult> {
  const { repositories } = walComponent(ctx, component);
  const file = walFileName(fileName, 'the WAL file to fetch');
  const problems: string[] = [];
  // pitr.async: a file still in this host's spool is newer than anything delivered (a restore right after).
  const spool = walSpool(ctx, component);
  if (spool) {
    try {
      const spooled = await getSpooled(spool, file.name, destination);
      if (spooled) return { outcome: 'restored', file: file.name, from: `the spool (${spooled.path})`, bytes: spooled.bytes };
    } catch (err) {
      warn(`${describeError(err)}; trying the destinations`);
    }
  }
  for (const repository of repositories) {
    try {
      const entry = await findEntry(repository, component, file.name, file.timelineHex);
      if (!entry) continue;
      const bytes = await fetchVerified(ctx, repository, component, entry, destination);
      return { outcome: 'restored', file: file.name, from: repository.name, bytes };
    } catch (err) {
      const problem = `${repository.description}: ${describeError(err)}`;
      problems.push(problem);
      warn(`${problem}${repositories.indexOf(repository) < repositories.length - 1 ? '; trying the next destination' : ''}`);
    }
  }
  if (problems.length === 0) return { outcome: 'not-found', file: file.name };
  throw new LifeboatError(`no intact copy of ${file.name} could be read (${problems.join('; ')})`);
}

/** The entry of `file` in one destination; undefined when it has none (or no WAL archive of the component). */
export async function findEntry(repository: Repository, component: string, file: string, timelineHex: string): Promise<WalEntry | undefined> {
  const marker = await repository.answered(repository.adapter.getVersioned(clusterKey(component)));
  if (!marker) return undefined;
  const cluster = parseClusterMarker(marker.bytes.toString('utf8'));
  if (!cluster) throw new LifeboatError(`${clusterKey(component)} is not a WAL cluster marker`);
  const key = entryKey(component, cluster.systemIdentifier, timelineHex, file);
  const found = await repository.answered(repository.adapter.getVersioned(key));
  if (!found) return undefined;
  const entry = parseEntry(found.bytes.toString('utf8'));
  if (!entry) throw new CopyUnusableError(`${key} is not a WAL entry`);
  return entry;
}

/**
 * An entry's plaintext as a stream that errors at its end unless both the
 * stored bytes (size, sha256) and the decoded plaintext match the entry.
 */
export async function entryContent(ctx: EngineContext, repository: Repository, component: string, entry: WalEntry): Promise<Readable> {
  const key = timelineDir(component, entry.systemIdentifier, entry.file.slice(0, 8)) + entry.stored.name;
  const identities = identitiesFor(ctx);
  const content = await verifiedContent(await repository.answered(repository.adapter.get(key)), entry.stored, repository.description, identities ? { identities } : {});
  const hash = createHash('sha256');
  let bytes = 0;
  const plaintext = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const sha256 = hash.digest('hex');
      if (sha256 !== entry.sha256 || bytes !== entry.bytes) {
        cb(new CopyUnusableError(`${entry.file} decodes to ${bytes} bytes with sha256 ${sha256.slice(0, 12)}…; its entry says ${entry.bytes} bytes with sha256 ${entry.sha256.slice(0, 12)}…`));
      } else cb();
    },
  });
  content.on('error', (err) => plaintext.destroy(err));
  return content.pipe(plaintext);
}

async function fetchVerified(ctx: EngineContext, repository: Repository, component: string, entry: WalEntry, destination: string): Promise<number> {
  const content = await entryContent(ctx, repository, component, entry);
  const tmp = `${destination}.tmp`;
  try {
    await pipeline(content, createWriteStream(tmp, { mode: 0o600 }), { signal: ctx.signal ?? new AbortController().signal });
    const handle = await open(tmp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(tmp, destination);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return entry.bytes;
}
