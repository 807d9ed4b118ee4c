import { LifeboatError, type Repository, type StoredObject } from '@lifeboat/core';
import { clusterKey, clusterPrefix, parseClusterMarker, parseEntry, type WalEntry } from './archive-layout.js';

/** One archived WAL file in one destination: its entry and where its stored bytes are. */
export interface ListedWalFile {
  entry: WalEntry;
  entryKey: string;
  objectKey: string;
  /** The stored object as listed; absent when the entry is there but its object is not. */
  object?: StoredObject;
}

export interface WalListing {
  systemIdentifier: string;
  /** Sorted by file name (timeline, then position). */
  files: ListedWalFile[];
  /** Stored objects without an entry: what an interrupted push (or prune) leaves; never a WAL file. */
  orphans: StoredObject[];
  /** Entries that cannot be read. */
  problems: string[];
}

/** Entries are small objects read one request each: a few at a time keeps a large archive quick without flooding the store. */
const ENTRY_READS = 8;

/**
 * The archive of `component` in one destination, read from the destination
 * itself; undefined when nothing was ever archived there.
 */
export async function listArchive(repository: Repository, component: string): Promise<WalListing | undefined> {
  const marker = await repository.answered(repository.adapter.getVersioned(clusterKey(component)));
  if (!marker) return undefined;
  const cluster = parseClusterMarker(marker.bytes.toString('utf8'));
  if (!cluster) throw new LifeboatError(`${clusterKey(component)} in ${repository.description} is not a WAL cluster marker`);
  const prefix = clusterPrefix(component, cluster.systemIdentifier);
  const entryKeys: string[] = [];
  const objects = new Map<string, StoredObject>();
  for await (const object of repository.adapter.list(prefix)) {
    if (object.key.endsWith('.json')) entryKeys.push(object.key);
    else objects.set(object.key, object);
  }
  const problems: string[] = [];
  const files: ListedWalFile[] = [];
  let next = 0;
  const reader = async () => {
    while (next < entryKeys.length) {
      const key = entryKeys[next++]!;
      const found = await repository.answered(repository.adapter.getVersioned(key));
      if (!found) continue; // removed since it was listed (a prune)
      const entry = parseEntry(found.bytes.toString('utf8'));
      if (!entry) {
        problems.push(`${key} is not a WAL entry`);
        continue;
      }
      const objectKey = `${key.slice(0, key.lastIndexOf('/') + 1)}${entry.stored.name}`;
      const object = objects.get(objectKey);
      files.push({ entry, entryKey: key, objectKey, ...(object ? { object } : {}) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(ENTRY_READS, entryKeys.length) }, reader));
  for (const file of files) objects.delete(file.objectKey);
  files.sort((a, b) => a.entry.file.localeCompare(b.entry.file));
  return { systemIdentifier: cluster.systemIdentifier, files, orphans: [...objects.values()], problems };
}
