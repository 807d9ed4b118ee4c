import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { LifeboatError, describeError, fanout, nowOf, type EngineContext, type Repository, type StoredArtifact } from '@lifeboat/core';
import {
  WAL_FORMAT,
  clusterKey,
  entryKey,
  parseClusterMarker,
  parseEntry,
  timelineDir,
  type ClusterMarker,
  type WalEntry,
} from './archive-layout.js';
import { readWalFile, type WalFile } from './wal-file.js';
import { walComponent } from './wal-component.js';

export interface WalPushResult {
  file: string;
  /** Destinations that received it now. */
  stored: string[];
  /** Destinations that already held the same content. */
  alreadyArchived: string[];
  /** require: any — destinations that failed, and why. */
  failed: Array<{ name: string; error: string }>;
}

/**
 * archive_command: stores one WAL file (gzip'd, age-encrypted when the plan
 * encrypts) in every destination of the component, then its entry. Resolves
 * only when the file is durably stored where `require` asks; PostgreSQL
 * removes the file on exit 0, so anything less rejects and it retries.
 *
 * A file already archived with the same plaintext is success; with different
 * content it is refused and nothing is overwritten (a timeline history least
 * of all: it is how recovery picks its path).
 */
export async function walPush(ctx: EngineContext, component: string, path: string, cwd: string, warn: (message: string) => void): Promise<WalPushResult> {
  walComponent(ctx, component);
  return storeWalFile(ctx, component, await readWalFile(path, cwd), warn);
}

/** The store half of walPush, for a file already read (the spool's pusher reads it from the spool, not from pg_wal). */
export async function storeWalFile(ctx: EngineContext, component: string, file: WalFile, warn: (message: string) => void): Promise<WalPushResult> {
  const { repositories, require } = walComponent(ctx, component);
  const sha256 = createHash('sha256').update(file.content).digest('hex');
  const now = nowOf(ctx);

  const failed: WalPushResult['failed'] = [];
  const dropOrThrow = (repository: Repository, err: unknown, live: Repository[]): Repository[] => {
    if (err instanceof WalRefusal) throw err;
    const error = `${repository.description}: ${describeError(err)}`;
    const rest = live.filter((r) => r !== repository);
    if (require !== 'any' || rest.length === 0) throw new LifeboatError(`archiving ${file.name} failed: ${error}`, undefined, { cause: err });
    failed.push({ name: repository.name, error });
    warn(`${error}; continuing without it (require: any)`);
    return rest;
  };

  // Which destinations need it: the cluster must be this one, and an entry already there must match.
  let live = [...repositories];
  const need: Repository[] = [];
  const alreadyArchived: string[] = [];
  const checks = await Promise.allSettled(
    repositories.map(async (repository) => {
      await repository.answered(repository.ensureMarker(ctx.plan.name, now));
      await checkCluster(repository, component, file, now);
      return existingEntry(repository, component, file, sha256);
    }),
  );
  for (const [i, check] of checks.entries()) {
    const repository = repositories[i]!;
    if (check.status === 'rejected') live = dropOrThrow(repository, check.reason, live);
    else if (check.value === 'same') alreadyArchived.push(repository.name);
    else need.push(repository);
  }

  const stored: string[] = [];
  if (need.length > 0) {
    const recipients = ctx.plan.encryption?.recipients ?? [];
    const dir = timelineDir(component, file.systemIdentifier, file.timelineHex);
    const name = `${file.name}.gz${recipients.length > 0 ? '.age' : ''}`;
    const result = await fanout(
      Readable.from([file.content]),
      need.map((r) => ({ name: r.name, adapter: r.adapter, key: dir + name, stallTimeoutMs: r.stallTimeoutMs })),
      { compress: true, encryptTo: recipients, tolerateFailures: require === 'any', signal: ctx.signal },
    ).catch((err: unknown) => {
      throw new LifeboatError(`archiving ${file.name} failed: ${describeError(err)}`, undefined, { cause: err });
    });
    for (const failure of result.failed) {
      live = dropOrThrow(need.find((r) => r.name === failure.name)!, new LifeboatError(failure.error), live);
    }
    const artifact: StoredArtifact = {
      name,
      bytes: result.bytes,
      sha256: result.sha256,
      compression: 'gzip',
      ...(recipients.length > 0 ? { encryption: 'age' as const } : {}),
      format: file.kind === 'history' ? 'PostgreSQL timeline history' : file.kind === 'backup' ? 'PostgreSQL backup history' : 'PostgreSQL WAL segment',
    };
    const entry: WalEntry = {
      lifeboat: 'wal',
      format: WAL_FORMAT,
      file: file.name,
      kind: file.kind,
      timeline: file.timeline,
      systemIdentifier: file.systemIdentifier,
      bytes: file.content.length,
      sha256,
      ...(file.segmentBytes ? { segmentBytes: file.segmentBytes } : {}),
      stored: artifact,
      archivedAt: nowOf(ctx).toISOString(),
      tool: { name: 'lifeboat', version: ctx.toolVersion },
    };
    const written = await Promise.allSettled(
      need.filter((r) => live.includes(r)).map(async (repository) => {
        await writeEntry(repository, component, file, entry);
        return repository;
      }),
    );
    for (const [i, outcome] of written.entries()) {
      const repository = need.filter((r) => live.includes(r))[i]!;
      if (outcome.status === 'rejected') live = dropOrThrow(repository, outcome.reason, live);
      else stored.push(repository.name);
    }
  }
  if (stored.length + alreadyArchived.length === 0) throw new LifeboatError(`archiving ${file.name} failed: no destination holds it`);
  return { file: file.name, stored, alreadyArchived, failed };
}

/** A refusal that `require: any` must not skip past: the archive holds something else under this name or cluster. */
export class WalRefusal extends LifeboatError {}

async function checkCluster(repository: Repository, component: string, file: WalFile, now: Date): Promise<void> {
  const marker: ClusterMarker = {
    lifeboat: 'wal-cluster',
    format: WAL_FORMAT,
    component,
    systemIdentifier: file.systemIdentifier,
    createdAt: now.toISOString(),
  };
  const key = clusterKey(component);
  // Read first: the usual case (the marker is there) writes nothing, and a store that ignores conditions cannot overwrite it.
  let existing = await repository.answered(repository.adapter.getVersioned(key));
  if (!existing) {
    const written = await repository.answered(repository.adapter.putIf(key, Buffer.from(JSON.stringify(marker, null, 2) + '\n'), { ifAbsent: true }));
    if (written !== undefined) return;
    existing = await repository.answered(repository.adapter.getVersioned(key));
  }
  const found = existing && parseClusterMarker(existing.bytes.toString('utf8'));
  if (!found) throw new LifeboatError(`${key} in ${repository.description} is not a WAL cluster marker`);
  if (found.systemIdentifier !== file.systemIdentifier) {
    throw new WalRefusal(
      `${file.name} comes from the PostgreSQL cluster with system identifier ${file.systemIdentifier}, but the WAL archive of ${component} in ${repository.description} belongs to cluster ${found.systemIdentifier} (since ${found.createdAt}); a second cluster must not archive into it: give it its own component, or move ${key} aside after a deliberate re-initdb`,
    );
  }
}

async function existingEntry(repository: Repository, component: string, file: WalFile, sha256: string): Promise<'same' | 'absent'> {
  const key = entryKey(component, file.systemIdentifier, file.timelineHex, file.name);
  const existing = await repository.answered(repository.adapter.getVersioned(key));
  if (!existing) return 'absent';
  const entry = parseEntry(existing.bytes.toString('utf8'));
  if (!entry) throw new WalRefusal(`${key} in ${repository.description} is not a WAL entry; nothing was overwritten`);
  if (entry.sha256 === sha256 && entry.bytes === file.content.length) return 'same';
  throw new WalRefusal(
    `${file.name} is already archived in ${repository.description} with different content (sha256 ${entry.sha256.slice(0, 12)}…, ${entry.bytes} bytes; this one ${sha256.slice(0, 12)}…, ${file.content.length} bytes); nothing was overwritten`,
  );
}

/** The entry goes last, only if none is there; one written meanwhile by another push must say the same. */
async function writeEntry(repository: Repository, component: string, file: WalFile, entry: WalEntry): Promise<void> {
  const key = entryKey(component, file.systemIdentifier, file.timelineHex, file.name);
  const written = await repository.answered(repository.adapter.putIf(key, Buffer.from(JSON.stringify(entry, null, 2) + '\n'), { ifAbsent: true }));
  if (written !== undefined) return;
  if ((await existingEntry(repository, component, file, entry.sha256)) !== 'same') {
    throw new WalRefusal(`${file.name} was archived in ${repository.description} by another push meanwhile`);
  }
}
