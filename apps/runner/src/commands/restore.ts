import { resolve } from 'node:path';
import { LifeboatError, listContents, restoreSurfaceOf, type ContentEntry } from '@lifeboat/core';
import { restore } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { restoreFlags } from './restore-help.js';
import { quietEngine } from './quiet-engine.js';

/** `restore`'s own flags; every kind's options (`--to-dir`, `--owner`, `--jobs`…) come as further keys. */
export interface RestoreFlags {
  to?: string;
  list?: boolean;
  json?: boolean;
  backup?: string;
  clean?: boolean;
  yes?: boolean;
  spoolDir?: string;
  [option: string]: unknown;
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
  // Every kind's flags as given; the engine refuses one this component's kind does not take.
  const options = Object.fromEntries(
    restoreFlags(ctx.registry.strategies).flatMap(({ option }) => {
      const value = flags[option.name];
      if (value === undefined) return [];
      return [[option.name, option.type === 'path' ? here(value as string) : value]];
    }),
  );
  try {
    // --json prints the outcome as data; of the run's events only warnings and the failure go to stderr then.
    const engine = flags.json ? quietEngine(ctx, plan, true) : ctx.engine(plan);
    const spoolDir = here(flags.spoolDir) ?? engine.spoolDir;
    const outcome = await restore(spoolDir ? { ...engine, spoolDir } : engine, selection, {
      target: restoreSurfaceOf(ctx.registry.strategy(entry.type)).to.path ? here(flags.to) : flags.to,
      clean: flags.clean === true,
      yes: flags.yes === true,
      options,
    });
    if (flags.json) {
      const { backupId, target, checks, report } = outcome;
      ctx.io.stdout.write(JSON.stringify({ backupId, target, checks, ...(report ? { report: report.data } : {}) }, null, 2) + '\n');
    } else if (outcome.report) {
      ctx.io.stdout.write(`\n${outcome.report.lines.join('\n')}\n`);
    }
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
