import { LifeboatError, runCommand, type RestoreContext } from '@lifeboat/core';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT } from './base-backup.js';
import { TarSniffer } from './tar-sniffer.js';
import { ARTIFACT } from './artifact.js';
import type { PostgresConfig } from './config.js';
import { toolPath } from './tools.js';

/** Opens an artifact's verified content (backup: read back; verify: from a given destination). */
export type OpenArtifact = (name: string) => Promise<Readable>;

const PLAIN_TRAILER = '-- PostgreSQL database dump complete';

/**
 * `pg_restore --list` reads the archive's table of contents; the rest of the
 * stream is still read to the end so its sha256 is checked as stored.
 * Resolves with the number of archive entries.
 */
export async function checkCustom(
  open: OpenArtifact,
  name: string,
  opts: { env: Record<string, string | undefined>; binDir?: string; signal?: AbortSignal },
): Promise<number> {
  const content = await open(name);
  const toc = new PassThrough();
  let tocOpen = true;
  toc.on('close', () => (tocOpen = false));
  const drained = new Promise<void>((resolve, reject) => {
    content.on('data', (chunk: Buffer) => {
      if (tocOpen && !toc.write(chunk)) {
        content.pause();
        toc.once('drain', () => content.resume());
        toc.once('close', () => content.resume());
      }
    });
    content.once('end', () => {
      toc.end();
      resolve();
    });
    content.once('error', (err) => {
      toc.destroy();
      reject(err);
    });
  });
  const listing = runCommand(toolPath('pg_restore', opts.binDir), ['--list'], { env: opts.env, input: toc, signal: opts.signal }).finally(() => toc.destroy());
  const [{ stdout }] = await Promise.all([listing, drained]);
  const entries = stdout.split('\n').filter((line) => /^\d+;/.test(line)).length;
  if (entries === 0) throw new LifeboatError(`pg_restore --list found no entries in ${name}; the dump is not usable`);
  return entries;
}

/** A plain dump is complete only if it ends with pg_dump's closing comment. */
export async function checkPlain(open: OpenArtifact, name: string): Promise<void> {
  const content = await open(name);
  let tail = '';
  for await (const chunk of content) tail = (tail + (chunk as Buffer).toString('utf8')).slice(-256);
  if (!tail.includes(PLAIN_TRAILER)) throw new LifeboatError(`${name} does not end with pg_dump's completion line; the dump is truncated`);
}

/** `verify --deep`: the same checks as at backup time, on a stored copy. */
export async function checkPostgres(ctx: RestoreContext<PostgresConfig>): Promise<string> {
  const facts = ctx.manifest.facts as { format?: 'custom' | 'plain'; baseBackup?: unknown };
  const open = (artifact: string) => ctx.open(artifact);
  const lines: string[] = [];
  if (facts.baseBackup) lines.push(await checkBaseBackup(open));
  // A base-backup-only backup (pitr.dump: false) records no dump format.
  if (facts.baseBackup && !facts.format) return lines.join('; ');
  const format = facts.format ?? 'custom';
  const name = ARTIFACT[format];
  if (format === 'plain') {
    await checkPlain(open, name);
    lines.push(`${name}: complete SQL`);
  } else {
    const entries = await checkCustom(open, name, { env: ctx.env, binDir: ctx.config.binDir, signal: ctx.signal });
    lines.push(`${name}: ${entries} archive entries (pg_restore --list)`);
  }
  return lines.join('; ');
}

/** base.tar holds backup_label and the very backup_manifest stored beside it. */
async function checkBaseBackup(open: OpenArtifact): Promise<string> {
  const manifest = Buffer.concat(await (await open(BACKUP_MANIFEST_ARTIFACT)).toArray());
  const sniffer = new TarSniffer(new Set(['backup_label', 'backup_manifest']));
  await pipeline(await open(BASE_BACKUP_ARTIFACT), sniffer, new Writable({ write: (_c, _e, cb) => cb() }));
  if (!sniffer.found.has('backup_label')) throw new LifeboatError(`${BASE_BACKUP_ARTIFACT} holds no backup_label; PostgreSQL cannot start from it`);
  if (!sniffer.found.get('backup_manifest')?.equals(manifest)) {
    throw new LifeboatError(`${BASE_BACKUP_ARTIFACT} does not hold the backup_manifest stored beside it`);
  }
  return `${BASE_BACKUP_ARTIFACT}: backup_label and backup_manifest present`;
}
