import { formatBytes, formatDuration, type Plan } from '@lifeboat/core';
import { prometheusText, readStatus, writePrometheusFile, type ComponentStatus } from '@lifeboat/verify';
import type { CommandContext } from '../main.js';

export async function statusCommand(ctx: CommandContext, opts: { json?: boolean; prometheus?: string; notify?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  const engine = ctx.engine(plan);
  const warnings: string[] = [];
  const statuses = await readStatus({ ...engine, onEvent: (e) => (e.type === 'warning' ? warnings.push(e.message) : undefined) });
  for (const warning of warnings) ctx.io.stderr.write(`lifeboat: warning: ${warning}\n`);
  if (opts.prometheus) await writePrometheusFile(opts.prometheus, prometheusText(plan.name, statuses));
  if (opts.notify) await ctx.alerter.status(plan, statuses);
  ctx.io.stdout.write(opts.json ? JSON.stringify(statuses, null, 2) + '\n' : formatStatus(plan, statuses));
  return statuses.every((s) => s.health === 'ok') ? 0 : 3;
}

/** A table a person reads at 2 a.m.: one row per component, then the reasons. */
function formatStatus(plan: Plan, statuses: ComponentStatus[]): string {
  const header = ['COMPONENT', 'HEALTH', 'LAST BACKUP', 'AGE / RPO', 'SIZE', 'COPIES', 'LAST DRILL (RTO actual / target)'];
  const rows = statuses.map((s) => [
    s.component,
    s.health.toUpperCase(),
    s.lastBackup?.id ?? 'never',
    `${s.ageMs === undefined ? '—' : formatDuration(s.ageMs)} / ${s.rpoMs === 0 ? 'on change' : formatDuration(s.rpoMs)}`,
    s.lastBackup ? formatBytes(s.lastBackup.bytes) : '—',
    `${s.compliance.copies}-${s.compliance.media}-${s.compliance.offsite}${s.compliance.ok ? '' : ' (!)'}${s.compliance.unreachable.map((d) => ` ${d} unreachable`).join(',')}`,
    s.lastDrill
      ? `${s.lastDrill.ok ? 'ok' : 'FAILED'} ${s.lastDrill.rtoActualMs === undefined ? '' : formatDuration(s.lastDrill.rtoActualMs)} / ${formatDuration(s.rtoMs)}`
      : `never / ${formatDuration(s.rtoMs)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const table = [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  const reasons = statuses.flatMap((s) => s.reasons.map((r) => `  ${s.severity ?? ''} ${r}`.replace(/^ {2} /, '  ')));
  const rule = plan.rule321 ? '' : ' (3-2-1 checked against the guide\u2019s default: 3 copies, 2 media, 1 offsite)';
  const locks = statuses.flatMap((s) =>
    (s.locks ?? []).map((l) =>
      l.stale
        ? `  ${s.component}: a stale ${l.operation} lock of ${l.owner} (pid ${l.pid}) in ${l.destination} (${l.stale}); the next run takes it over, lifeboat unlock ${s.component} --yes removes it now`
        : `  ${s.component}: ${l.operation} running on ${l.owner} (pid ${l.pid}) since ${l.since}, holding the lock in ${l.destination}`,
    ),
  );
  const running = locks.length > 0 ? `\nlocks:\n${locks.join('\n')}\n` : '';
  // What a kind keeps beside its backups (a postgres component's WAL archive), in its strategy's own lines.
  const archives = statuses.flatMap((s) => (s.archive ? [`${s.component} (${s.archive.name}):`, ...s.archive.lines.map((l) => `  ${l}`)] : []));
  const archive = archives.length > 0 ? `\n${archives.join('\n')}\n` : '';
  return `${plan.name}${rule}\n${table}\n${archive}${reasons.length ? `\n${reasons.join('\n')}\n` : '\nall components healthy\n'}${running}`;
}
