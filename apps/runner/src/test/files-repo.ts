import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Every manifest.json below an fs repository, parsed. */
export async function manifests(repo: string): Promise<Array<Record<string, unknown> & { id: string }>> {
  const found = ((await readdir(repo, { recursive: true }).catch(() => [])) as string[]).filter((p) => p.endsWith('manifest.json'));
  return Promise.all(found.sort().map(async (p) => JSON.parse(await readFile(join(repo, p), 'utf8')) as Record<string, unknown> & { id: string }));
}

/** The stored path of a backup's artifact in an fs repository. */
export function artifactPath(repo: string, component: string, id: string, name: string): string {
  return join(repo, component, id.slice(0, 4), id.slice(4, 6), id, name);
}

/**
 * Puts a backup whose archive is `tar` (uncompressed; stored gzip'd) into an fs
 * repository, as the newest backup of the component, by writing its files and
 * manifest directly — the way a tampered or foreign repository would hold one.
 */
export async function plantBackup(repo: string, template: Record<string, unknown>, tar: Buffer): Promise<string> {
  const id = '20991231T235959Z-e71c0d';
  const gz = gzipSync(tar);
  const artifact = { name: 'files.tar.gz', bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex'), compression: 'gzip', format: 'POSIX tar (tar -xzf)' };
  const dir = join(repo, template.component as string, '2099', '12', id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'files.tar.gz'), gz);
  const manifest = { ...template, id, startedAt: '2099-12-31T23:59:59.000Z', finishedAt: '2099-12-31T23:59:59.500Z', artifacts: [artifact] };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return id;
}

/**
 * Archives made with GNU tar that try to write outside the restore target:
 * a symlink `a` to `outside` followed by a file `a/passwd`; and a member
 * named `../a/passwd` (tar -P keeps it).
 */
export async function hostileArchives(dir: string, outside: string): Promise<{ throughSymlink: Buffer; dotDot: Buffer }> {
  const withLink = join(dir, 'hostile-link');
  const withFile = join(dir, 'hostile-file');
  await mkdir(withLink, { recursive: true });
  await mkdir(join(withFile, 'a'), { recursive: true });
  await symlink(outside, join(withLink, 'a'));
  await writeFile(join(withFile, 'a/passwd'), 'intruder::0:0::/:/bin/sh\n');
  const throughSymlink = join(dir, 'through-symlink.tar');
  execFileSync('tar', ['-cf', throughSymlink, '-C', withLink, 'a']);
  execFileSync('tar', ['-rf', throughSymlink, '-C', withFile, 'a/passwd']);
  const dotDot = join(dir, 'dot-dot.tar');
  execFileSync('tar', ['-cPf', dotDot, '-C', withFile, '--transform', 's,^,../,', 'a/passwd']);
  return { throughSymlink: await readFile(throughSymlink), dotDot: await readFile(dotDot) };
}
