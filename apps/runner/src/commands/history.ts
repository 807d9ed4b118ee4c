import { formatDuration, readJournal, type RunComponentRecord, type RunRecord } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

export async function historyCommand(ctx: CommandContext, component: string | undefined, opts: { json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  if (component) ctx.registry.component(plan, component);
  const journal = (await readJournal(plan, ctx.registry, (m) => ctx.io.stderr.write(`lifeboat: warning: ${m}\n`))).filter(
    (r) => !component || r.components.some((c) => c.component === component),
  );
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify(journal, null, 2) + '\n');
    return 0;
  }
  if (journal.length === 0) {
    ctx.io.stdout.write('no runs recorded yet\n');
    return 0;
  }
  for (const record of journal) {
    for (const c of record.components.filter((c) => !component || c.component === component)) {
      const rto = typeof c.details?.rtoActualMs === 'number' ? `  RTO actual ${formatDuration(c.details.rtoActualMs)}` : '';
      ctx.io.stdout.write(
        `${record.startedAt.replace(/\.\d+Z$/, 'Z')}  ${record.operation.padEnd(7)}  ${c.component.padEnd(12)}  ${c.outcome.padEnd(9)}  ${formatDuration(c.durationMs).padEnd(7)}${rto}${byHand(record, c)}${c.error ? `  ${c.error}` : ''}\n`,
      );
    }
  }
  return 0;
}

/** For what a person does by hand (restore, pin, unpin, unlock): which backup or lock, and who did it where. */
function byHand(record: RunRecord, c: RunComponentRecord): string {
  const details = c.details ?? {};
  const what = (() => {
    switch (record.operation) {
      case 'restore':
        return [c.backupId, typeof details.target === 'string' ? `into ${details.target}` : undefined];
      case 'pin':
        return [typeof details.reason === 'string' ? `${c.backupId}: ${details.reason}` : c.backupId];
      case 'unpin':
        return [c.backupId];
      case 'unlock': {
        const locks = Array.isArray(details.locks) ? (details.locks as Array<{ destination: string; removed: boolean }>) : [];
        const removed = locks.filter((l) => l.removed).map((l) => l.destination);
        return [`removed the lock in ${removed.length > 0 ? removed.join(', ') : 'no destination'}`];
      }
      default:
        return undefined;
    }
  })();
  if (!what) return '';
  return `  ${[...what, record.user ? `by ${record.user}@${record.host}` : `on ${record.host}`].filter(Boolean).join(' ')}`;
}
