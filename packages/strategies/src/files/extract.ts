import { randomBytes } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, rename, rmdir, stat, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { LifeboatError, describeError } from '@lifeboat/core';
import { Unpack, type ReadEntry } from 'tar';
import { entryName, unsafeEntry } from './archive-path.js';
import { truncated } from './contents.js';
import { byCodeUnit } from './roots.js';

export interface ExtractOptions {
  /** Absolute path of an existing folder; every entry lands below it. */
  root: string;
  /** `--owner`: chown everything restored to it. Otherwise owners are kept when running as root. */
  owner?: { uid: number; gid: number };
  signal?: AbortSignal;
}

export interface Restored {
  files: number;
  directories: number;
  symlinks: number;
  /** Total bytes of the restored files, as found on disk afterwards. */
  bytes: number;
}

export interface ExtractResult {
  restored: Restored;
  /** Entries of kinds a restore does not create (devices, FIFOs), by name. */
  skipped: string[];
}

interface Rec {
  type: 'File' | 'Link' | 'Directory' | 'SymbolicLink';
  mode: number;
  mtime?: Date;
  atime?: Date;
  uid?: number;
  gid?: number;
  linkpath?: string;
}

const KINDS: Record<string, Rec['type']> = {
  File: 'File',
  OldFile: 'File',
  ContiguousFile: 'File',
  Link: 'Link',
  Directory: 'Directory',
  SymbolicLink: 'SymbolicLink',
};

/**
 * Extracts a tar stream below `root` without ever writing outside it:
 * - entries with absolute paths or `..` segments (and hard links to such
 *   paths) stop the restore with an error, rather than being rewritten;
 * - node-tar refuses to write through a symbolic link in an entry's folder;
 * - symbolic links are created last, after every other entry, so an archive
 *   holding `a -> /etc` and then `a/passwd` gets a real folder `a` and the
 *   link is refused — the link can never be followed by a later entry;
 * - modes (exactly, whatever the umask), folder mtimes and symlink owners and
 *   times are set in a last pass, after checking each path is still what was
 *   extracted and that no folder on its way is a link.
 */
export async function extractArchive(input: Readable, opts: ExtractOptions): Promise<ExtractResult> {
  const { root } = opts;
  const records = new Map<string, Rec>();
  const skipped: string[] = [];
  const problems: string[] = [];
  let refused: LifeboatError | undefined;
  const isRoot = process.getuid?.() === 0;

  const tree = new SafeTree(root, records, root === '/');
  const unpack: Unpack = new Unpack({
    cwd: root,
    // node-tar cannot extract into `/` with its path protections on (it
    // checks entries start with cwd + '/', i.e. '//'); the checks below
    // stand in for them there, and double them everywhere else.
    preservePaths: root === '/',
    strict: false,
    ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : { preserveOwner: isRoot }),
    filter: (_path, raw) => {
      const entry = raw as ReadEntry;
      if (refused) return false;
      const problem = unsafeEntry({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
      if (problem) {
        refused = new LifeboatError(`refusing to restore: the archive holds an entry that ${problem}`);
        unpack.abort(refused);
        return false;
      }
      const type = KINDS[entry.type];
      const name = entryName(entry.path);
      if (!type) {
        skipped.push(`${name} (${entry.type})`);
        return false;
      }
      // The archive's own `.` entry would change the target folder itself; the target keeps its mode.
      if (name === '') return false;
      const link = tree.linkOnTheWay(name) ?? (type === 'Link' ? tree.linkOnTheWay(entryName(entry.linkpath!), true) : undefined);
      if (link) {
        problems.push(`${entry.path}: ${link} is a symbolic link, and a restore never writes through one`);
        return false;
      }
      records.set(name, { type, mode: (entry.mode ?? 0) & 0o7777, mtime: entry.mtime, atime: entry.atime, uid: entry.uid, gid: entry.gid, linkpath: entry.linkpath });
      return type !== 'SymbolicLink';
    },
    onwarn: (code, message, data) => {
      if (code === 'TAR_ENTRY_INFO') return;
      const entry = data.entry as ReadEntry | undefined;
      // Reported once, here: the last pass does not report it again as missing.
      if (entry) records.delete(entryName(entry.path));
      const where = entry?.path ?? (data.path as string | undefined);
      problems.push(where ? `${where}: ${message}` : message);
    },
  });

  const onAbort = () => unpack.abort(new LifeboatError('the restore was cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let sawEnd = false;
    unpack.on('eof', () => (sawEnd = true));
    const unpacked = new Promise<void>((resolve, reject) => {
      unpack.on('error', (err: Error) => reject(refused ?? err));
      unpack.on('close', () => (sawEnd ? resolve() : reject(truncated())));
    });
    input.on('error', (err) => unpack.abort(err));
    input.pipe(unpack as unknown as NodeJS.WritableStream);
    await Promise.all([finished(input), unpacked]);
  } catch (err) {
    input.destroy();
    throw refused ?? (err instanceof LifeboatError ? err : new LifeboatError(`extracting the archive failed: ${describeError(err)}`, undefined, { cause: err }));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  await createSymlinks(tree, records, { owner: opts.owner, preserveOwner: !opts.owner && isRoot }, problems);
  const restored = await settle(tree, records, problems);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ');
    throw new LifeboatError(`${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} could not be restored into ${root}: ${shown}${problems.length > 3 ? '; …' : ''}`);
  }
  return { restored, skipped };
}

/**
 * Paths below the restore root, checked so that nothing is ever written
 * through a symbolic link the archive did not describe as a folder:
 * - a folder the archive has as an entry is made a real folder by node-tar
 *   (replacing a link there) before anything is extracted below it;
 * - any other folder on the way must be a real folder — except, in place,
 *   folders the archive does not describe at all (`/var/lib/docker` linked to
 *   `/data/docker`): they are the system's own layout, followed as GNU tar
 *   follows them, and an in-place restore may write anywhere under / anyway.
 */
class SafeTree {
  private readonly realFolders = new Set<string>(['']);

  constructor(
    readonly root: string,
    private readonly records: ReadonlyMap<string, Rec>,
    private readonly inPlace: boolean,
  ) {}

  absolute(name: string): string {
    return join(this.root, name);
  }

  private mayBeLink(name: string): boolean {
    return this.inPlace && !this.records.has(name);
  }

  /**
   * The first symbolic link that `name` (and with `self`, `name` itself)
   * would be written through, or undefined. Synchronous, for node-tar's
   * filter: links are only ever created after extraction, so what this sees
   * cannot turn into a link while the archive is being unpacked.
   */
  linkOnTheWay(name: string, self = false): string | undefined {
    const parts = name.split('/');
    if (!self) parts.pop();
    let sofar = '';
    for (const part of parts) {
      sofar = sofar === '' ? part : `${sofar}/${part}`;
      if (this.realFolders.has(sofar)) continue;
      const recorded = this.records.get(sofar);
      if (recorded && recorded.type !== 'SymbolicLink') continue;
      const path = this.absolute(sofar);
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch {
        // Not there yet: it will be made as a real folder.
        return undefined;
      }
      if (st.isSymbolicLink()) {
        if (this.mayBeLink(sofar)) continue;
        return path;
      }
      if (!st.isDirectory()) return undefined;
      this.realFolders.add(sofar);
    }
    return undefined;
  }

  /** `name` is no longer a real folder (a link replaced it), nor anything below it. */
  forget(name: string): void {
    for (const known of this.realFolders) if (known === name || known.startsWith(`${name}/`)) this.realFolders.delete(known);
  }

  /** The first folder on the way to `name` that is not a real folder (a link, a file), or undefined. */
  async brokenParent(name: string, create: boolean, owner?: { uid: number; gid: number }): Promise<string | undefined> {
    const parts = name.split('/').slice(0, -1);
    let sofar = '';
    for (const part of parts) {
      sofar = sofar === '' ? part : `${sofar}/${part}`;
      if (this.realFolders.has(sofar)) continue;
      const path = this.absolute(sofar);
      let st: Stats | undefined;
      try {
        st = await lstat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) return path;
        await mkdir(path, 0o777);
        if (owner) await lchown(path, owner.uid, owner.gid);
        st = await lstat(path);
      }
      if (st.isSymbolicLink() && this.mayBeLink(sofar)) {
        if ((await stat(path).catch(() => undefined))?.isDirectory()) continue;
        return path;
      }
      if (!st.isDirectory()) return path;
      this.realFolders.add(sofar);
    }
    return undefined;
  }
}

/** Symbolic links last: nothing is extracted after them, so nothing can be written through them. */
async function createSymlinks(
  tree: SafeTree,
  records: Map<string, Rec>,
  opts: { owner?: { uid: number; gid: number }; preserveOwner: boolean },
  problems: string[],
): Promise<void> {
  const links = [...records].filter(([, r]) => r.type === 'SymbolicLink').sort(([a], [b]) => byCodeUnit(a, b));
  for (const [name, rec] of links) {
    const path = tree.absolute(name);
    try {
      const broken = await tree.brokenParent(name, true, opts.owner);
      if (broken) {
        problems.push(`${path}: ${broken} is not a real folder (a symbolic link or a file), and a restore never writes through one`);
        continue;
      }
      const existing = await lstat(path).catch(() => undefined);
      if (existing?.isDirectory()) {
        // An empty folder may give way to the link, as tar does; a full one may not.
        try {
          await rmdir(path);
          tree.forget(name);
        } catch {
          problems.push(`${path}: the target has a folder with files in it where the backup has a symbolic link (to ${rec.linkpath})`);
          continue;
        }
      }
      // Atomic replacement of whatever file or link is there.
      const temp = join(dirname(path), `.lifeboat-${randomBytes(6).toString('hex')}`);
      await symlink(rec.linkpath!, temp);
      try {
        await rename(temp, path);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      const uid = opts.owner?.uid ?? (opts.preserveOwner ? rec.uid : undefined);
      const gid = opts.owner?.gid ?? (opts.preserveOwner ? rec.gid : undefined);
      if (uid !== undefined && gid !== undefined) await lchown(path, uid, gid);
      if (rec.mtime) await lutimes(path, rec.atime ?? rec.mtime, rec.mtime);
    } catch (err) {
      problems.push(`${path}: ${describeError(err)}`);
    }
  }
}

/**
 * Sets exact modes (node-tar leaves the umask's mark and does not change the
 * mode of a file it reuses) and folder mtimes (deepest first, after their
 * contents stopped changing), and counts what is on disk for the post-restore
 * checks.
 */
async function settle(tree: SafeTree, records: Map<string, Rec>, problems: string[]): Promise<Restored> {
  const restored: Restored = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  const depth = (name: string) => name.split('/').length;
  const ordered = [...records].sort(([a, ra], [b, rb]) => {
    const aDir = ra.type === 'Directory' ? 1 : 0;
    const bDir = rb.type === 'Directory' ? 1 : 0;
    return aDir - bDir || depth(b) - depth(a) || byCodeUnit(a, b);
  });
  for (const [name, rec] of ordered) {
    const path = tree.absolute(name);
    try {
      const broken = await tree.brokenParent(name, false);
      if (broken) {
        problems.push(`${path}: ${broken} is not a real folder`);
        continue;
      }
      let st: Stats;
      try {
        st = await lstat(path);
      } catch {
        problems.push(`${path} is missing after extraction`);
        continue;
      }
      const expected = rec.type === 'Directory' ? st.isDirectory() : rec.type === 'SymbolicLink' ? st.isSymbolicLink() : st.isFile();
      if (!expected) {
        problems.push(`${path} is not a ${rec.type === 'Directory' ? 'folder' : rec.type === 'SymbolicLink' ? 'symbolic link' : 'file'} after extraction`);
        continue;
      }
      if (rec.type === 'SymbolicLink') {
        restored.symlinks++;
        continue;
      }
      // chmod follows links; the lstat above and the folder check say this is no link.
      if (rec.type !== 'Link' && (st.mode & 0o7777) !== rec.mode) await chmod(path, rec.mode);
      if (rec.type === 'Directory') {
        if (rec.mtime) await utimes(path, rec.atime ?? rec.mtime, rec.mtime);
        restored.directories++;
      } else {
        restored.files++;
        restored.bytes += st.size;
      }
    } catch (err) {
      problems.push(`${path}: ${describeError(err)}`);
    }
  }
  return restored;
}
