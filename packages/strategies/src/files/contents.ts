import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { LifeboatError, describeError, type ContentEntry, type RestoreContext } from '@lifeboat/core';
import { Parser, type ReadEntry } from 'tar';
import { entryName } from './archive-path.js';
import { ARTIFACT } from './archive.js';
import type { FilesConfig } from './config.js';

/** One archive entry's header, as the parser reads it (path as stored). */
export interface ArchiveEntry {
  path: string;
  type: string;
  size: number;
  mode: number;
  mtime?: Date;
  uid?: number;
  gid?: number;
  linkpath?: string;
}

/**
 * Reads every header of a tar stream, skipping the contents. Resolves only
 * after the input has ended cleanly, so a content stream that checks its
 * sha256 at the end (ctx.open) has had its say.
 */
export async function readEntries(input: Readable, onEntry?: (entry: ArchiveEntry) => void): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const header: ArchiveEntry = {
        path: entry.path,
        type: entry.type,
        size: entry.size,
        mode: entry.mode ?? 0,
        mtime: entry.mtime,
        uid: entry.uid,
        gid: entry.gid,
        linkpath: entry.linkpath,
      };
      entries.push(header);
      onEntry?.(header);
      entry.resume();
    },
  });
  let sawEnd = false;
  parser.on('eof', () => (sawEnd = true));
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('error', (err: Error) => {
      input.destroy();
      reject(new LifeboatError(`the archive is not a readable tar file: ${describeError(err)}`, undefined, { cause: err }));
    });
    parser.on('end', () => (sawEnd ? resolve() : reject(truncated())));
  });
  input.pipe(parser as unknown as NodeJS.WritableStream);
  await Promise.all([finished(input), parsed]);
  return entries;
}

/** node-tar only notices truncation inside a file; an archive cut between entries lacks tar's end marker. */
export function truncated(): LifeboatError {
  return new LifeboatError("the archive is not a readable tar file: it ends without tar's end-of-archive marker, so it is truncated");
}

const TYPES: Record<string, ContentEntry['type']> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Link: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
};

/** `restore --list`: each entry as `tar -tv` would show it; hard links are files whose linkTarget names the first copy. */
export function contentEntry(entry: ArchiveEntry): ContentEntry {
  const type = TYPES[entry.type] ?? 'other';
  const out: ContentEntry = {
    path: entryName(entry.path) || '.',
    type,
    bytes: entry.size,
    mode: entry.mode & 0o7777,
    mtime: entry.mtime?.toISOString() ?? new Date(0).toISOString(),
  };
  if (entry.linkpath !== undefined && (entry.type === 'SymbolicLink' || entry.type === 'Link')) out.linkTarget = entry.linkpath;
  return out;
}

/** `restore --list`: what the backup's archive holds. */
export async function filesContents(ctx: RestoreContext<FilesConfig>): Promise<ContentEntry[]> {
  return (await readEntries(await ctx.open(ARTIFACT))).map(contentEntry);
}
