import { describeError, formatBytes, type ArchivePruneContext, type ArchivePruneReport, type StoredObject } from '@lifeboat/core';
import type { BaseBackupFacts } from '../base-backup.js';
import type { PostgresConfig } from '../config.js';
import { listArchive } from './archive-listing.js';
import { parseWalFileName } from './wal-file.js';

const ARCHIVE = 'WAL archive';
/** Keys per delete request; batches go oldest first so an interrupted prune leaves a contiguous archive. */
const BATCH = 100;

/**
 * Retention of the WAL archive in one destination: every WAL file from the
 * first one the oldest kept base backup needs stays (on every timeline; WAL
 * positions are shared by timelines, so the smallest start of any kept base
 * backup is a safe cut), `.history` files always stay, and older segments,
 * partial segments and backup history files go. With no kept base backup
 * nothing goes: nothing tells which WAL a future restore needs.
 *
 * Order: a file's entry is deleted before its stored object, oldest batch
 * first. An interrupted prune leaves at worst objects without an entry —
 * which `wal get` never hands over and this prune removes next time — and
 * never an entry that points at nothing.
 */
export async function walPrune(ctx: ArchivePruneContext<PostgresConfig>): Promise<ArchivePruneReport> {
  const { repository, component, dryRun } = ctx;
  const where = `${ARCHIVE} of ${component} in ${repository.name}`;
  const report = (summary: string, rest: Partial<ArchivePruneReport> = {}): ArchivePruneReport => ({
    archive: ARCHIVE,
    summary,
    remove: { files: 0, bytes: 0 },
    keep: { files: 0, bytes: 0 },
    removed: 0,
    ...rest,
  });
  if (ctx.unknown.length > 0) {
    return report(`${where}: nothing deleted, because the manifest of ${ctx.unknown.join(', ')} cannot be read and what it needs is unknown (lifeboat verify reports it)`);
  }
  const listing = await listArchive(repository, component);
  if (!listing) return report(`${where}: nothing archived`);
  const keptBase = ctx.kept
    .map((m) => ({ id: m.id, facts: m.facts.baseBackup as BaseBackupFacts | undefined }))
    .filter((b): b is { id: string; facts: BaseBackupFacts } => typeof b.facts?.startWalFile === 'string' && b.facts.systemIdentifier === listing.systemIdentifier)
    .sort((a, b) => position(a.facts.startWalFile).localeCompare(position(b.facts.startWalFile)));
  const all = listing.files.reduce((n, f) => n + (f.object?.bytes ?? 0), 0);
  const oldest = keptBase[0];
  if (!oldest) {
    return report(`${where}: keeps all ${listing.files.length} WAL file(s) (${formatBytes(all)}): no kept base backup of cluster ${listing.systemIdentifier}, so nothing tells which WAL a restore will need`, {
      keep: { files: listing.files.length, bytes: all },
    });
  }
  const cut = position(oldest.facts.startWalFile);
  const older = (name: string) => {
    const parsed = parseWalFileName(name);
    return parsed !== undefined && parsed.kind !== 'history' && position(name) < cut;
  };
  const going = listing.files.filter((f) => older(f.entry.file));
  const staying = listing.files.filter((f) => !older(f.entry.file));
  // Objects without an entry (an interrupted push or prune) older than the cut: debris nobody will push again.
  const debris = listing.orphans.filter((o) => older(fileOf(o)));
  const objects: Array<{ name: string; keys: string[]; bytes: number }> = [
    ...going.map((f) => ({ name: f.entry.file, keys: [f.entryKey, ...(f.object ? [f.objectKey] : [])], bytes: f.object?.bytes ?? 0 })),
    ...debris.map((o) => ({ name: fileOf(o), keys: [o.key], bytes: o.bytes })),
  ].sort((a, b) => position(a.name).localeCompare(position(b.name)) || a.name.localeCompare(b.name));
  const bytes = objects.reduce((n, o) => n + o.bytes, 0);
  const through = objects.at(-1)?.name;
  const because = `base backup ${oldest.id} is the oldest kept and needs WAL from ${oldest.facts.startWalFile} on`;
  const keep = { files: staying.length, bytes: staying.reduce((n, f) => n + (f.object?.bytes ?? 0), 0), from: oldest.facts.startWalFile };
  const remove = { files: objects.length, bytes, ...(through ? { through } : {}) };
  const stays = `${keep.files} file(s) (${formatBytes(keep.bytes)}) stay, .history files always`;
  if (objects.length === 0) return report(`${where}: nothing to delete: ${because}, and no WAL is older; ${stays}`, { remove, keep });
  const what = `${objects.length} WAL file(s) (${formatBytes(bytes)}) up to ${through}${debris.length ? `, ${debris.length} of them debris of interrupted pushes` : ''}`;
  if (dryRun) return report(`${where}: ${what} would be deleted: ${because}; ${stays}`, { remove, keep });

  let removed = 0;
  try {
    for (let i = 0; i < objects.length; i += BATCH) {
      if (ctx.signal.aborted) throw new Error(`stopped after ${removed} of ${objects.length} file(s)`);
      const batch = objects.slice(i, i + BATCH);
      // Entries first: a file whose entry is gone is no longer archived, whatever happens to its object.
      await repository.answered(repository.adapter.delete(batch.map((o) => o.keys[0]!)));
      const rest = batch.flatMap((o) => o.keys.slice(1));
      if (rest.length > 0) await repository.answered(repository.adapter.delete(rest));
      removed += batch.length;
    }
  } catch (err) {
    const error = `pruning the ${where} stopped: ${describeError(err)}; ${removed} of ${objects.length} WAL file(s) deleted, the next prune goes on`;
    return report(error, { remove, keep, removed, error });
  }
  return report(`${where}: deleted ${what}: ${because}; ${stays}`, { remove, keep, removed });
}

/** `log` and `seg` of a WAL file name (characters 9–24): its place in WAL, whatever its timeline. */
function position(name: string): string {
  return name.slice(8, 24);
}

/** The WAL file an archived object holds: `…/00000001/000000010000000000000003.gz.age` → `000000010000000000000003`. */
function fileOf(object: StoredObject): string {
  return object.key.slice(object.key.lastIndexOf('/') + 1).replace(/(\.gz)?(\.age)?$/, '');
}
