import { ExitCode, LifeboatError, describeError, type FoundLock } from '@lifeboat/core';
import { unlock } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';
import { quietEngine } from './quiet-engine.js';
import { selectComponents } from './select.js';

/**
 * `lifeboat unlock <component> [--yes [--force]] [--json]`: shows the
 * component's repository lock in each destination. `--yes` removes stale
 * ones (which the next run would take over anyway); a live one — whose
 * holder refreshed it recently — also needs `--force`: for a host known to be
 * dead before its lock expires. A holder that is in fact still running
 * notices at its next refresh (within 5 minutes) and stops, without
 * committing if it has not committed yet; until then another run may take the
 * lock and both write. Without --yes nothing is removed (exit 2 if there was
 * something to remove). With --json a failure is a JSON object too:
 * `{ "error": sentence, "exitCode": n }` (and the locks, when they were read).
 */
export async function unlockCommand(ctx: CommandContext, component: string, opts: { yes?: boolean; force?: boolean; json?: boolean }): Promise<number> {
  if (!opts.json) return unlockNow(ctx, component, opts);
  try {
    return await unlockNow(ctx, component, opts);
  } catch (err) {
    const exitCode = err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
    ctx.io.stdout.write(JSON.stringify({ error: describeError(err), exitCode }, null, 2) + '\n');
    ctx.io.stderr.write(`lifeboat: ${describeError(err)}\n`);
    return exitCode;
  }
}

async function unlockNow(ctx: CommandContext, component: string, opts: { yes?: boolean; force?: boolean; json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  const name = selectComponents(plan, [component])[0]!;
  const { found, removed, changed, refused, destinations } = await unlock(quietEngine(ctx, plan), name, opts);
  const live = found.filter((lock) => lock.holder !== undefined && lock.stale === undefined);
  if (refused) {
    if (opts.json) ctx.io.stdout.write(JSON.stringify({ error: refused, exitCode: ExitCode.usage, locks: found }, null, 2) + '\n');
    else for (const lock of found) ctx.io.stdout.write(`${describeLock(lock)}\n`);
    ctx.io.stderr.write(`lifeboat: ${refused}\n`);
    return ExitCode.usage;
  }
  for (const lock of changed) ctx.io.stderr.write(`lifeboat: warning: the lock in ${lock.description} changed while it was being removed (refreshed or taken); left as it is\n`);
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify(found.map((lock) => ({ ...lock, removed: removed.includes(lock.destination) })), null, 2) + '\n');
  } else if (found.length === 0) {
    ctx.io.stdout.write(`no lock on ${name} in ${destinations.join(', ')}\n`);
  } else {
    for (const lock of found) ctx.io.stdout.write(`${describeLock(lock)}${removed.includes(lock.destination) ? ' — removed' : ''}\n`);
  }
  if (!opts.yes && found.length > 0) {
    ctx.io.stderr.write(
      `lifeboat: nothing was removed; pass --yes to remove ${found.length === 1 ? 'this lock' : `these ${found.length} locks`}${live.length > 0 ? ' (--yes --force for a live one, only if its host is dead)' : ''}\n`,
    );
    return ExitCode.usage;
  }
  return ExitCode.ok;
}

function describeLock(lock: FoundLock): string {
  const { holder } = lock;
  if (holder === undefined) return `${lock.description}: a lock object that is not a Lifeboat lock`;
  const state = lock.stale ? `stale: ${lock.stale}` : `live until ${holder.expiresAt} unless refreshed`;
  return `${lock.description}: ${holder.operation} on ${holder.owner} (pid ${holder.pid}) since ${holder.acquiredAt}; ${state}`;
}
