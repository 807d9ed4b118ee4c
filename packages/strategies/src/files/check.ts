import type { Readable } from 'node:stream';
import { LifeboatError, formatBytes, type RestoreContext } from '@lifeboat/core';
import { ARTIFACT } from './archive.js';
import type { FilesConfig } from './config.js';
import { readEntries } from './contents.js';

/** What an archive holds, counted from its headers. */
export interface ArchiveCounts {
  entries: number;
  /** Regular files, hard links included. */
  files: number;
  directories: number;
  symlinks: number;
  /** File content bytes as stored: a hard-linked file's bytes once. */
  archivedBytes: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Reads a whole archive (so its sha256 is checked too) and counts its entries. */
export async function countArchive(content: Readable): Promise<ArchiveCounts> {
  const counts: ArchiveCounts = { entries: 0, files: 0, directories: 0, symlinks: 0, archivedBytes: 0 };
  await readEntries(content, (entry) => {
    counts.entries++;
    if (FILE_TYPES.has(entry.type)) {
      counts.files++;
      counts.archivedBytes += entry.size;
    } else if (entry.type === 'Link') counts.files++;
    else if (entry.type === 'Directory') counts.directories++;
    else if (entry.type === 'SymbolicLink') counts.symlinks++;
  });
  return counts;
}

/** Throws when the archive's counts differ from what was recorded when it was written. */
export function compareCounts(actual: ArchiveCounts, expected: Readonly<Record<string, unknown>>): void {
  const differences = (Object.keys(actual) as Array<keyof ArchiveCounts>)
    .filter((key) => typeof expected[key] === 'number' && expected[key] !== actual[key])
    .map((key) => `${key} ${actual[key]} (expected ${String(expected[key])})`);
  if (differences.length > 0) throw new LifeboatError(`${ARTIFACT} does not hold what was archived: ${differences.join(', ')}`);
}

/** `verify --deep`: the archive reads as tar to its end and holds what the manifest says. */
export async function checkFiles(ctx: RestoreContext<FilesConfig>): Promise<string> {
  const counts = await countArchive(await ctx.open(ARTIFACT));
  compareCounts(counts, ctx.manifest.facts);
  return `${ARTIFACT}: ${counts.entries} tar entries (${counts.files} files, ${formatBytes(counts.archivedBytes)}), as recorded`;
}
