import { ExitCode, UsageError } from '@lifeboat/core';
import { prune } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { selectComponents } from './select.js';

/**
 * `lifeboat prune [component…] [--dry-run] [--yes] [--json]`. Deleting backups
 * is destructive (ARCHITECTURE §9): without --yes it decides and prints, like
 * --dry-run, and exits 2 if anything would have been deleted. --dry-run with
 * --yes is a contradiction, refused before anything is read.
 */
export async function pruneCommand(ctx: CommandContext, names: string[], opts: { dryRun?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  if (opts.dryRun === true && opts.yes === true) {
    throw new UsageError('--dry-run and --yes contradict each other (--dry-run deletes nothing, --yes deletes); nothing was deleted; pass one of them');
  }
  const plan = await ctx.loadPlan();
  const components = selectComponents(plan, names);
  const engine = ctx.engine(plan);
  const dryRun = opts.dryRun === true || opts.yes !== true;
  const outcome = await prune(opts.json ? { ...engine, onEvent: () => {} } : engine, components, { dryRun });
  if (opts.json) ctx.io.stdout.write(JSON.stringify(outcome.results, null, 2) + '\n');
  if (opts.dryRun !== true && opts.yes !== true) {
    const destinations = outcome.results.flatMap((r) => r.destinations);
    const would = destinations.reduce((n, d) => n + d.delete.length + d.debris.length, 0);
    const files = destinations.reduce((n, d) => n + (d.archive?.remove.files ?? 0), 0);
    if (would + files > 0) {
      const what = [
        ...(would > 0 ? [`the ${would} backup folder${would === 1 ? '' : 's'}`] : []),
        ...(files > 0 ? [`${files} archived WAL file${files === 1 ? '' : 's'}`] : []),
      ].join(' and ');
      ctx.io.stderr.write(`lifeboat: nothing was deleted; pass --yes to delete ${what} above (or --dry-run to only look)\n`);
      return outcome.exitCode === ExitCode.ok ? ExitCode.usage : outcome.exitCode;
    }
  }
  return outcome.exitCode;
}
