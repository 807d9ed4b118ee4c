import { createWriteStream, type BigIntStats } from 'node:fs';
import { mkdtemp, rm, statfs, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyUnusableError, LifeboatError, UsageError, describeError } from '../errors.js';
import { formatBytes } from '../bytes.js';
import { formatDuration } from '../duration.js';
import { verifiedContent } from '../pipeline/verified-read.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { StoredArtifact } from '../events.js';
import type { ContentSink } from '../strategy.js';
import type { CatalogEntry } from './catalog.js';
import { identitiesFor, type EngineContext } from './context.js';

const PROGRESS_EVERY_MS = 250;

/**
 * A copy of a backup that has been read whole from one destination, checked
 * (size and sha256 of the stored bytes against that destination's manifest,
 * age authentication, gzip) and written to a local 0600 spool as content.
 * Restores read the spool, never the destination again: what was proven is
 * exactly what is restored.
 *
 * An artifact stored as its content (no age, no gzip) in a store on this
 * host's filesystem is not copied: it is hashed through one open descriptor,
 * which stays open, and `path` names that descriptor (`/proc/<pid>/fd/<n>`,
 * the same inode however the repository's folder changes). A write into that
 * inode would still show, so `unchanged` compares its size, mtime and ctime
 * with those taken before it was hashed; a restore checks it once its tool has
 * read the file and before the result is made visible.
 */
export interface ProvenCopy {
  destination: string;
  manifest: Manifest;
  /** The verified content of an artifact, by the name strategies use (`.age` dropped): a spool file, or the stored file's open descriptor. */
  path(name: string): string;
  /** Rejects (CopyUnusableError) when the file `path` names changed after it was hashed; a spool file never does. */
  unchanged(name: string): Promise<void>;
  /** Removes the spool and closes the held descriptors. */
  dispose(): Promise<void>;
}

export interface ProveOptions {
  /** Where to spool (default: the system's temp folder). */
  spoolDir?: string;
  /** Only these artifacts (names without `.age`), when the restore reads no others; default: all. */
  artifacts?: readonly string[];
  /** Takes the content of its artifacts instead of the spool (`Strategy.sink`); reset before the next copy is read. */
  sink?: ContentSink;
  onStep(message: string): void;
  onWarning(message: string): void;
  /** The copy was read whole and checked. */
  onVerified?(check: string, detail: string): void;
  onProgress?(artifact: string, bytes: number, total: number): void;
}

/**
 * Proves a backup usable before anything destructive happens: tries its
 * copies in plan order and returns the first that reads back whole. Every way
 * a copy can be unusable (missing, unreadable, truncated, wrong hash, does not
 * decrypt with the identity at hand, does not decompress) moves on to the next
 * copy. A local problem (the spool's disk is full) stops at once: the next copy
 * would meet it too. Throws when no copy is usable; nothing has changed then.
 */
export async function proveCopy(ctx: EngineContext, chosen: CatalogEntry, opts: ProveOptions): Promise<ProvenCopy> {
  const identities = identitiesFor(ctx);
  const spoolDir = opts.spoolDir ?? tmpdir();
  const needed = (manifest: Manifest) => manifest.artifacts.filter((a) => !opts.artifacts || opts.artifacts.includes(a.name.replace(/\.age$/, '')));
  const sunk = (artifact: Pick<StoredArtifact, 'name'>) => opts.sink?.artifacts.includes(artifact.name.replace(/\.age$/, '')) ?? false;
  const spooled = (copy: CatalogEntry['copies'][number]) => {
    const repository = ctx.registry.repository(ctx.plan, copy.destination);
    return needed(copy.manifest).filter((a) => !pinnable(repository, a) && !sunk(a));
  };
  await refuseTooSmall(spoolDir, chosen, spooled);
  const failures: string[] = [];
  for (const [i, copy] of chosen.copies.entries()) {
    const repository = ctx.registry.repository(ctx.plan, copy.destination);
    const total = needed(copy.manifest).reduce((n, a) => n + a.bytes, 0);
    opts.onStep(`reading and verifying backup ${chosen.id} from ${repository.description} (${formatBytes(total)}) before anything is changed`);
    const dir = await mkdtemp(join(spoolDir, 'lifeboat-restore-'));
    const paths = new Map<string, string>();
    const pinned = new Map<string, Pinned>();
    const unpin = () => Promise.all([...pinned.values()].map((p) => p.handle.close().catch(() => undefined)));
    try {
      for (const artifact of needed(copy.manifest)) {
        const name = artifact.name.replace(/\.age$/, '');
        const file = join(dir, name);
        const key = repository.artifactKey(chosen.component, chosen.id, artifact.name);
        let stored: Readable;
        let pin: Pinned | undefined;
        try {
          if (pinnable(repository, artifact) && !sunk(artifact)) {
            const handle = await repository.answered(repository.adapter.openFile!(key));
            pin = { handle, before: await handle.stat({ bigint: true }), description: `${artifact.name} in ${repository.description}` };
            pinned.set(name, pin);
            // Positional reads through the one descriptor, which stays open for the restore; 1 MiB
            // reads take half the CPU of the default 64 KiB (a hash is all that happens to them).
            stored = handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1024 * 1024 });
          } else {
            stored = await repository.answered(repository.adapter.get(key));
          }
        } catch (err) {
          throw new CopyUnusableError(`cannot read ${artifact.name} from ${repository.description}: ${describeError(err)}`, undefined, { cause: err });
        }
        let lastProgress = 0;
        // A read that stops delivering (a hung socket, a stuck mount) is an unusable copy, not a wait forever.
        const source = stored;
        let stall: NodeJS.Timeout | undefined;
        let stalled: Error | undefined;
        const watch = () => {
          clearTimeout(stall);
          stall = setTimeout(() => {
            stalled = new Error(`no data for ${formatDuration(repository.stallTimeoutMs)} (the destination's stallTimeout)`);
            source.destroy(stalled);
          }, repository.stallTimeoutMs);
          stall.unref();
        };
        watch();
        try {
        const content = await verifiedContent(stored, artifact, repository.description, {
          ...(identities ? { identities } : {}),
          onBytes: (bytes) => {
            watch();
            const now = Date.now();
            if (now - lastProgress < PROGRESS_EVERY_MS && bytes < artifact.bytes) return;
            lastProgress = now;
            opts.onProgress?.(artifact.name, bytes, artifact.bytes);
          },
        });
        // A pinned file is only hashed: its content is already on this disk. A sink's content goes there, not to the spool.
        let spoolError: Error | undefined;
        let sinkError: Error | undefined;
        const out = sunk(artifact)
          ? (await opts.sink!.open(name)).on('error', (err) => (sinkError ??= err))
          : pin
            ? discard()
            : createWriteStream(file, { mode: 0o600 }).on('error', (err) => (spoolError ??= err));
        try {
          await pipeline(content, out, ...(ctx.signal ? [{ signal: ctx.signal }] : []));
        } catch (err) {
          if (ctx.signal?.aborted) throw err;
          if (stalled) err = stalled;
          // Where the content goes failed (a full disk, a tar it refuses): every copy would meet it.
          if (sinkError) throw sinkError instanceof LifeboatError ? sinkError : new LifeboatError(describeError(sinkError), undefined, { cause: sinkError });
          if (spoolError) {
            throw new LifeboatError(
              `cannot spool backup ${chosen.id} to ${dir}: ${describeError(spoolError)}; nothing was changed — free space there or pass --spool-dir with room for the backup (${formatBytes(total)} stored)`,
              undefined,
              { cause: spoolError },
            );
          }
          throw err instanceof CopyUnusableError
            ? err
            : new CopyUnusableError(`${artifact.name} in ${repository.description} cannot be read back: ${describeError(err)}`, undefined, { cause: err });
        }
        } finally {
          clearTimeout(stall);
        }
        if (sunk(artifact)) continue;
        if (pin) {
          await unchangedSince(pin);
          paths.set(name, `/proc/${process.pid}/fd/${pin.handle.fd}`);
        } else paths.set(name, file);
      }
      opts.onVerified?.(`backup ${chosen.id} in ${repository.description}`, `${opts.artifacts ? `${needed(copy.manifest).map((a) => a.name).join(', ')} (what this restore reads) ` : ''}read whole: sizes and sha256 match${copy.manifest.artifacts.some((a) => a.encryption === 'age') ? ', decrypted with the identity at hand' : ''}`);
      return {
        destination: copy.destination,
        manifest: copy.manifest,
        path(name) {
          const found = paths.get(name.replace(/\.age$/, ''));
          if (!found && sunk({ name })) throw new LifeboatError(`${name} of backup ${chosen.id} went to the restore's sink as it was proven; it has no spool file`);
          if (!found) throw new LifeboatError(`backup ${chosen.id} has no artifact ${name}`);
          return found;
        },
        async unchanged(name) {
          const pin = pinned.get(name.replace(/\.age$/, ''));
          if (pin) await unchangedSince(pin);
        },
        dispose: async () => {
          await unpin();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await unpin();
      await rm(dir, { recursive: true, force: true });
      // What the sink took of this copy goes, before the next copy is read or the restore stops.
      await opts.sink?.reset();
      if (!(err instanceof CopyUnusableError)) throw err;
      failures.push(err.message);
      const next = chosen.copies[i + 1];
      if (next) opts.onWarning(`${err.message}; trying the copy in destination '${next.destination}'`);
    }
  }
  throw new LifeboatError(
    `no usable copy of backup ${chosen.id} of ${chosen.component}: ${failures.join('; ')}. Nothing was changed: no hook ran and the target was not touched`,
  );
}

/** A stored file held open for the restore, and what it looked like before it was hashed. */
interface Pinned {
  handle: FileHandle;
  before: BigIntStats;
  description: string;
}

/**
 * Whether an artifact can be read in place instead of spooled: its stored
 * bytes are its content (no age, no gzip) and the store is a local filesystem
 * whose open files this process can name to a child (`/proc/<pid>/fd/<n>`,
 * which pg_restore's workers reopen by name; Linux gives each opener its own
 * file offset there).
 */
function pinnable(repository: Repository, artifact: StoredArtifact): boolean {
  return (
    process.platform === 'linux' &&
    repository.adapter.openFile !== undefined &&
    artifact.compression === 'none' &&
    (artifact.encryption ?? 'none') === 'none'
  );
}

/**
 * Any write into the inode moves its mtime and ctime (the latter cannot be
 * set back). Removing or replacing the name moves the ctime too (the link
 * count): the bytes read were still the ones hashed, but a repository that
 * changes under a restore is refused all the same.
 */
async function unchangedSince(pin: Pinned): Promise<void> {
  let now: BigIntStats;
  try {
    now = await pin.handle.stat({ bigint: true });
  } catch (err) {
    throw new CopyUnusableError(`${pin.description} cannot be checked: ${describeError(err)}`, undefined, { cause: err });
  }
  if (now.size !== pin.before.size || now.mtimeNs !== pin.before.mtimeNs || now.ctimeNs !== pin.before.ctimeNs) {
    throw new CopyUnusableError(
      `${pin.description} was written to, replaced or removed after it was verified (size ${pin.before.size} → ${now.size}, changed ${stamp(pin.before)} → ${stamp(now)}); what was read from it may not be what was proven`,
    );
  }
}

const stamp = (st: BigIntStats) => new Date(Number(st.ctimeMs)).toISOString();

/** A sink for bytes that only need hashing. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

/**
 * A spool that cannot hold even the stored bytes would fail after a long read:
 * say so before reading. (Compressed content grows when it is unpacked; a
 * spool that fills up later still stops with a sentence and changes nothing.)
 */
async function refuseTooSmall(spoolDir: string, chosen: CatalogEntry, spooled: (copy: CatalogEntry['copies'][number]) => Manifest['artifacts']): Promise<void> {
  const needed = Math.min(...chosen.copies.map((c) => spooled(c).reduce((n, a) => n + a.bytes, 0)));
  let free: number;
  try {
    const fs = await statfs(spoolDir);
    free = fs.bavail * fs.bsize;
  } catch (err) {
    throw new UsageError(`cannot use ${spoolDir} to spool the restore: ${describeError(err)}; pass --spool-dir with a folder that exists`, { cause: err });
  }
  if (free < needed) {
    throw new LifeboatError(
      `${spoolDir} has ${formatBytes(free)} free, and backup ${chosen.id} of ${chosen.component} needs at least ${formatBytes(needed)} there (more once decompressed) to be read whole and checked before anything changes; nothing was changed — pass --spool-dir (or set LIFEBOAT_SPOOL_DIR) to a folder with room`,
    );
  }
}
