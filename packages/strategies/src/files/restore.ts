import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LifeboatError, UsageError, describeError, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import { ARTIFACT } from './archive.js';
import { entryName, unsafeEntry } from './archive-path.js';
import type { FilesConfig } from './config.js';
import { readEntries, type ArchiveEntry } from './contents.js';
import { extractArchive, type ExtractResult, type Restored } from './extract.js';
import type { FilesRestoreOptions } from './restore-surface.js';

interface Target {
  root: string;
  /** For messages. */
  display: string;
  inPlace: boolean;
  /** Made by this restore (removed again if the restore fails). */
  created: boolean;
  /** Holds nothing: the archive can stream straight into it. */
  empty: boolean;
}

/**
 * `--to DIR` restores beside the originals (DIR is created 0700 when missing);
 * `--in-place --yes` restores over them. The archive is verified whole (the
 * engine's proven copy) and its entries checked before anything is touched
 * (`reviewFiles`, before the plan's beforeRestore hooks): a damaged archive
 * must not half-overwrite live configuration, and files already there are
 * overwritten only with --yes. A failed restore into an empty folder leaves it
 * empty (or removes it, when the restore made it).
 */
export async function restoreFiles(ctx: RestoreContext<FilesConfig>): Promise<RestoreOutcome> {
  const { request, manifest } = ctx;
  const { owner } = request.options as FilesRestoreOptions;
  const target = await prepareTarget(ctx);
  const extractOpts = { root: target.root, owner, signal: ctx.signal };

  let result: ExtractResult;
  try {
    const { file, entries, conflicts } = await reviewed(ctx, target);
    const overwriting = target.inPlace ? ', overwriting what is there' : conflicts.length > 0 ? `, overwriting ${conflicts.length} existing paths` : '';
    ctx.step(`extracting ${entries.length} entries of backup ${manifest.id} into ${target.display}${overwriting}`);
    try {
      result = await extractArchive(createReadStream(file.path), extractOpts);
    } catch (err) {
      if (!target.empty) throw err;
      // It was empty before: empty it again (node-tar may still be finishing writes it had started, so retry).
      const emptied = await clearFolder(target.root).then(
        () => true,
        () => false,
      );
      const left = emptied ? `${target.root} was ${target.created ? 'removed' : 'emptied'} again` : `${target.root} holds a partial restore`;
      throw new LifeboatError(`${describeError(err)}; ${left}`, errCode(err), { cause: err });
    } finally {
      await file.dispose();
    }
  } catch (err) {
    if (target.created) await rm(target.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined);
    throw err;
  }

  if (result.skipped.length > 0) {
    ctx.warn(`skipped ${result.skipped.length} entries a restore does not create (devices, FIFOs): ${result.skipped.slice(0, 3).join(', ')}${result.skipped.length > 3 ? ', …' : ''}`);
  }
  ctx.step(`restored ${result.restored.files} files, ${result.restored.directories} folders, ${result.restored.symlinks} symlinks into ${target.display}`);
  return { target: target.display, checks: compare(manifest.facts, result.restored) };
}

/** Before the copy is proven: the request itself (target, --in-place, --yes, --owner). */
export async function preflightFiles(ctx: RestoreContext<FilesConfig>): Promise<void> {
  await resolveTarget(ctx);
}

/**
 * After the copy is proven, before the plan's beforeRestore hooks: the
 * archive's entries are safe, and paths the target already holds are
 * overwritten only with --yes. Nothing is touched.
 */
export async function reviewFiles(ctx: RestoreContext<FilesConfig>): Promise<void> {
  const target = await resolveTarget(ctx);
  await (await reviewed(ctx, { ...target, created: false })).file.dispose();
}

/** The archive as a local verified file, its entries checked against the target. */
async function reviewed(ctx: RestoreContext<FilesConfig>, target: Target) {
  const { request, manifest } = ctx;
  const spool = await mkdtemp(join(tmpdir(), 'lifeboat-files-'));
  const file = { path: join(spool, 'files.tar'), dispose: () => rm(spool, { recursive: true, force: true }) };
  try {
    await ctx.download(ARTIFACT, file.path);
    const entries = await readEntries(createReadStream(file.path));
    refuseUnsafe(entries);
    const conflicts = target.inPlace || target.empty ? [] : await existing(target.root, entries);
    if (conflicts.length > 0 && !request.yes) {
      const shown = conflicts.slice(0, 3).join(', ');
      throw new UsageError(
        `${target.root} already holds ${conflicts.length} of the ${entries.length} paths in backup ${manifest.id} (${shown}${conflicts.length > 3 ? ', …' : ''}); add --yes to overwrite them, or restore into an empty folder`,
      );
    }
    return { file, entries, conflicts };
  } catch (err) {
    await file.dispose();
    throw err;
  }
}

async function clearFolder(root: string): Promise<void> {
  for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

function errCode(err: unknown) {
  return err instanceof LifeboatError ? err.exitCode : undefined;
}

function checkOwner(owner: { uid: number; gid: number } | undefined): void {
  const uid = process.getuid?.();
  if (owner && uid !== undefined && uid !== 0 && owner.uid !== uid) {
    throw new UsageError(`--owner ${owner.uid}:${owner.gid} needs root: only root can give files to another user (Lifeboat runs as uid ${uid})`);
  }
}

/** What the request names, checked, without touching anything (a missing folder is reported, not made). */
async function resolveTarget(ctx: RestoreContext<FilesConfig>): Promise<Target & { missing: boolean }> {
  const { request, manifest } = ctx;
  const { toDir, inPlace, owner } = request.options as FilesRestoreOptions;
  checkOwner(owner);
  if (request.clean) {
    throw new UsageError('--clean is not available for files restores; restore into an empty folder with --to, or over the original paths with --in-place --yes');
  }
  if (request.target !== undefined && toDir !== undefined) throw new UsageError('give the folder to restore into once: --to or --to-dir, not both');
  const to = request.target ?? toDir;
  if (inPlace) {
    if (to !== undefined) throw new UsageError('--in-place restores over the original paths, so it takes no --to; use one or the other');
    if (!request.yes) {
      const paths = Array.isArray(manifest.facts.paths) ? (manifest.facts.paths as string[]) : [];
      const shown = paths.length > 0 ? ` (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''})` : '';
      throw new UsageError(`--in-place overwrites the original paths${shown} with backup ${manifest.id}; add --yes to confirm`);
    }
    return { root: '/', display: '/ (in place)', inPlace: true, created: false, empty: false, missing: false };
  }
  if (to === undefined || to === '') {
    throw new UsageError('restore of a files component needs --to DIR (a folder to restore into), or --in-place --yes to put the files back where they were');
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(to)) throw new UsageError(`--to for a files component is a folder; got ${to}`);
  const root = resolve(to);
  if (root === '/') throw new UsageError('--to / would restore over the original paths; say so with --in-place --yes');
  try {
    const st = await stat(root);
    if (!st.isDirectory()) throw new UsageError(`--to ${root} is not a folder`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { root, display: root, inPlace: false, created: false, empty: true, missing: true };
  }
  return { root, display: root, inPlace: false, created: false, empty: (await readdir(root)).length === 0, missing: false };
}

/** The target, made (0700) when missing. */
async function prepareTarget(ctx: RestoreContext<FilesConfig>): Promise<Target> {
  const { missing, ...target } = await resolveTarget(ctx);
  if (!missing) return target;
  await mkdir(target.root, { recursive: true, mode: 0o700 });
  return { ...target, created: true };
}

function refuseUnsafe(entries: readonly ArchiveEntry[]): void {
  for (const entry of entries) {
    const problem = unsafeEntry(entry);
    if (problem) throw new LifeboatError(`refusing to restore: the archive holds an entry that ${problem}; nothing was extracted`);
  }
}

/** Archive paths that already exist in the target (a folder where the archive has a folder is no conflict). */
async function existing(root: string, entries: readonly ArchiveEntry[]): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const name = entryName(entry.path);
    if (name === '' || seen.has(name)) continue;
    seen.add(name);
    const st = await lstat(join(root, name)).catch(() => undefined);
    if (!st) continue;
    if (entry.type === 'Directory' && st.isDirectory()) continue;
    found.push(name);
  }
  return found;
}

/** Post-restore checks: what is on disk against what the backup recorded. */
function compare(facts: Record<string, unknown>, restored: Restored): RestoreCheck[] {
  const checks: RestoreCheck[] = [];
  const rows: Array<[keyof Restored, string]> = [
    ['files', 'files restored'],
    ['bytes', 'bytes in restored files'],
    ['directories', 'folders restored'],
    ['symlinks', 'symlinks restored'],
  ];
  for (const [key, name] of rows) {
    const expected = facts[key];
    if (typeof expected !== 'number') continue;
    checks.push({ name, expected, actual: restored[key], ok: expected === restored[key] });
  }
  return checks;
}
