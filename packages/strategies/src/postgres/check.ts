import { LifeboatError, runCommand, type RestoreContext } from '@lifeboat/core';
import { PassThrough, type Readable } from 'node:stream';
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
  const format = (ctx.manifest.facts as { format?: 'custom' | 'plain' }).format ?? 'custom';
  const name = ARTIFACT[format];
  const open = (artifact: string) => ctx.open(artifact);
  if (format === 'plain') {
    await checkPlain(open, name);
    return `${name}: complete SQL`;
  }
  const entries = await checkCustom(open, name, { env: ctx.env, binDir: ctx.config.binDir, signal: ctx.signal });
  return `${name}: ${entries} archive entries (pg_restore --list)`;
}
