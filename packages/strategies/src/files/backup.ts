import { ReadBackUnavailableError, formatBytes, type BackupContext, type SourceFacts, type Unchanged } from '@lifeboat/core';
import { ARTIFACT, ARTIFACT_FORMAT, archiveStream } from './archive.js';
import { pathSpecs, type FilesConfig } from './config.js';
import { compareCounts, countArchive } from './check.js';
import { collectFileSet, type FileSet } from './file-set.js';
import { resolveRoots } from './roots.js';
import { secretLookingPaths, secretsWarning } from './secrets.js';

/** What a files backup records in its manifest. */
export interface FilesFacts extends SourceFacts {
  contentHash: string;
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  /** The listed paths as found (globs expanded), absolute. */
  paths: string[];
  /** Optional paths that matched nothing. */
  missingOptional: string[];
  /** Archive entries. */
  entries: number;
  /** File content bytes in the archive (a hard-linked file's once). */
  archivedBytes: number;
}

/**
 * Walks and hashes the file set, then — unless `schedule: on-change` finds the
 * same content hash as the latest backup — streams it as a tar archive
 * through the pipeline and checks the stored archive lists the same entries.
 */
export async function backupFiles(ctx: BackupContext<FilesConfig>): Promise<FilesFacts | Unchanged> {
  const { config } = ctx;
  const { roots, missingOptional } = await resolveRoots(pathSpecs(config), ctx.planDir);
  for (const missing of missingOptional) ctx.step(`optional path ${missing} does not exist; recorded and skipped`);
  if (roots.length === 0) ctx.warn('none of the listed paths exist (all are optional), so this backup is an empty archive');
  ctx.step(`reading and hashing ${roots.length} listed path${roots.length === 1 ? '' : 's'}`);
  const set = await collectFileSet({ roots, include: config.include, exclude: config.exclude, followSymlinks: config.followSymlinks, signal: ctx.signal });
  report(ctx, set, roots, config.followSymlinks);

  const facts: FilesFacts = { contentHash: set.contentHash, ...set.counts, paths: roots, missingOptional, entries: set.entries.length, archivedBytes: archivedBytes(set) };
  const previous = ctx.previous;
  if (previous && previous.facts.contentHash === set.contentHash) {
    const absent = config.destinations.filter((d) => !previous.destinations.includes(d));
    if (absent.length === 0) return ctx.unchanged(`the file set has the same content hash as backup ${previous.id}`);
    ctx.step(`the file set is unchanged since backup ${previous.id}, but that backup is not in ${absent.join(', ')}; backing up again`);
  }

  const artifact = await ctx.storeArtifact(ARTIFACT, archiveStream(set, { followSymlinks: config.followSymlinks }), { format: ARTIFACT_FORMAT, compress: true });
  ctx.step(`checking ${ARTIFACT} as read back from the first destination`);
  try {
    compareCounts(await countArchive(await ctx.readArtifact(ARTIFACT)), facts);
  } catch (err) {
    if (!(err instanceof ReadBackUnavailableError)) throw err;
    ctx.step(`archive listing not re-read (${err.message}); verify --deep checks it where the identity is`);
  }
  ctx.step(`${ARTIFACT}: ${formatBytes(artifact.bytes)}, ${set.entries.length} entries listed back, sha256 re-read ok`);
  return facts;
}

function report(ctx: BackupContext<FilesConfig>, set: FileSet, roots: readonly string[], followSymlinks: boolean): void {
  const { files, directories, symlinks, bytes } = set.counts;
  ctx.step(`${files} files (${formatBytes(bytes)}), ${directories} folders, ${symlinks} symlinks; content hash ${set.contentHash.slice(0, 19)}…`);
  if (set.skipped.length > 0) {
    const shown = set.skipped.slice(0, 3).map((s) => `${s.path} (${s.reason})`);
    ctx.warn(`left out ${set.skipped.length} entr${set.skipped.length === 1 ? 'y' : 'ies'} tar cannot restore meaningfully: ${shown.join(', ')}${set.skipped.length > 3 ? ', …' : ''}`);
  }
  if (!followSymlinks) {
    const rootLinks = set.entries.filter((e) => e.type === 'symlink' && roots.includes(e.absolute));
    for (const link of rootLinks) {
      ctx.warn(`${link.absolute} is a symbolic link (to ${link.linkTarget}); only the link is archived — list its target, or set followSymlinks: true`);
    }
  }
  // With the plan's encryption on, secrets in the archive are stored encrypted: nothing to warn about.
  const warning = ctx.encrypted ? undefined : secretsWarning(secretLookingPaths(set.entries));
  if (warning) ctx.warn(warning);
}

/** Hard links are stored once, with their content under the first name. */
function archivedBytes(set: FileSet): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const e of set.entries) {
    if (e.type !== 'file') continue;
    const inode = `${e.snapshot.dev}:${e.snapshot.ino}`;
    if (seen.has(inode)) continue;
    seen.add(inode);
    bytes += e.snapshot.size;
  }
  return bytes;
}
