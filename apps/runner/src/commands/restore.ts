import { resolve } from 'node:path';
import { LifeboatError, listContents, type ContentEntry } from '@lifeboat/core';
import { restore } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';

export interface RestoreFlags {
  to?: string;
  toDir?: string;
  owner?: { uid: number; gid: number };
  inPlace?: boolean;
  list?: boolean;
  json?: boolean;
  backup?: string;
  clean?: boolean;
  jobs?: number;
  yes?: boolean;
  spoolDir?: string;
}

export async function restoreCommand(ctx: CommandContext, component: string, flags: RestoreFlags): Promise<number> {
  const plan = await ctx.loadPlan();
  const entry = ctx.registry.component(plan, component);
  // Folders on the command line are the caller's, relative to where they ran it (not the plan's folder).
  const here = (dir: string | undefined) => (dir === undefined ? undefined : resolve(ctx.environment.cwd, dir));
  const selection = { component, backupId: flags.backup };
  if (flags.list) {
    const { backupId, entries } = await listContents(ctx.engine(plan), selection);
    ctx.io.stdout.write(flags.json ? JSON.stringify({ backupId, entries }, null, 2) + '\n' : formatContents(backupId, entries));
    return 0;
  }
  try {
    const engine = ctx.engine(plan);
    const spoolDir = here(flags.spoolDir) ?? engine.spoolDir;
    await restore(spoolDir ? { ...engine, spoolDir } : engine, selection, {
      target: entry.type === 'files' ? here(flags.to) : flags.to,
      targetDir: here(flags.toDir),
      owner: flags.owner,
      inPlace: flags.inPlace === true,
      clean: flags.clean === true,
      yes: flags.yes === true,
      jobs: flags.jobs,
    });
  } catch (err) {
    // The run's own 'failed' event has already told the reader why.
    if (err instanceof LifeboatError) return err.exitCode;
    throw err;
  }
  return 0;
}

/** `ls -l`-like lines: mode, size, mtime, path (-> link target). */
function formatContents(backupId: string, entries: ContentEntry[]): string {
  const lines = entries.map((e) => {
    const kind = e.type === 'directory' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'file' ? '-' : '?';
    const mode = kind + (e.mode & 0o777).toString(8).padStart(4, '0');
    return `${mode}  ${String(e.bytes).padStart(12)}  ${e.mtime}  ${e.path}${e.linkTarget ? ` -> ${e.linkTarget}` : ''}`;
  });
  return `backup ${backupId}: ${entries.length} entries\n${lines.join('\n')}\n`;
}
