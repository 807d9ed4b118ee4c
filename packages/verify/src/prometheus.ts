import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ComponentStatus } from './status.js';

const HEALTH = { ok: 0, warning: 1, critical: 2 } as const;

/** node_exporter textfile-collector metrics for every component. */
export function prometheusText(plan: string, statuses: ComponentStatus[]): string {
  const metrics: Array<[name: string, help: string, value: (s: ComponentStatus) => number | undefined]> = [
    ['lifeboat_last_success_timestamp_seconds', 'Finish time of the latest complete backup.', (s) => (s.lastBackup ? Date.parse(s.lastBackup.finishedAt) / 1000 : undefined)],
    ['lifeboat_last_backup_bytes', 'Stored bytes of the latest complete backup.', (s) => s.lastBackup?.bytes],
    ['lifeboat_backup_age_seconds', 'Age of the latest backup or unchanged check.', (s) => (s.ageMs === undefined ? undefined : s.ageMs / 1000)],
    ['lifeboat_rpo_seconds', 'Recovery point objective.', (s) => s.rpoMs / 1000],
    ['lifeboat_rto_seconds', 'Recovery time objective.', (s) => s.rtoMs / 1000],
    ['lifeboat_rto_actual_seconds', 'Restore time measured by the last successful drill.', (s) => (s.lastDrill?.rtoActualMs === undefined ? undefined : s.lastDrill.rtoActualMs / 1000)],
    ['lifeboat_copies', 'Copies of the latest backup, counting the live data.', (s) => s.compliance.copies],
    ['lifeboat_rule321_compliant', '1 if the latest backup meets the 3-2-1 rule.', (s) => (s.compliance.ok ? 1 : 0)],
    ['lifeboat_health', '0 ok, 1 warning, 2 critical.', (s) => HEALTH[s.health]],
  ];
  const lines: string[] = [];
  for (const [name, help, value] of metrics) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const s of statuses) {
      const v = value(s);
      if (v !== undefined) lines.push(`${name}{plan="${escape(plan)}",component="${escape(s.component)}",kind="${escape(s.kind)}"} ${v}`);
    }
  }
  // What a kind keeps beside its backups (the WAL archive): its own gauges, grouped by name.
  const archive = new Map<string, { help: string; samples: string[] }>();
  for (const s of statuses) {
    for (const m of s.archive?.metrics ?? []) {
      const family = archive.get(m.name) ?? { help: m.help, samples: [] };
      family.samples.push(`${m.name}{plan="${escape(plan)}",component="${escape(s.component)}",kind="${escape(s.kind)}"} ${m.value}`);
      archive.set(m.name, family);
    }
  }
  for (const [name, family] of archive) lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} gauge`, ...family.samples);
  // Per destination, not per component: down when any component's read of it failed.
  const up = new Map<string, boolean>();
  for (const d of statuses.flatMap((s) => s.destinations)) up.set(d.destination, (up.get(d.destination) ?? true) && d.reachable);
  lines.push('# HELP lifeboat_destination_up 1 if the destination could be listed, 0 if it is unreachable (its copies are not counted).', '# TYPE lifeboat_destination_up gauge');
  for (const [destination, isUp] of up) lines.push(`lifeboat_destination_up{plan="${escape(plan)}",destination="${escape(destination)}"} ${isUp ? 1 : 0}`);
  return lines.join('\n') + '\n';
}

/** Written to a temp file beside `file`, then renamed: the collector never reads half a file. */
export async function writePrometheusFile(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
