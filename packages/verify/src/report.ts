import {
  aheadOfNow,
  formatDuration,
  holdCovers,
  holdIsActive,
  holdsFor,
  type CatalogEntry,
  type Operation,
  type Plan,
  type RunRecord,
} from '@lifeboat/core';
import { assessStatus } from './status.js';

/**
 * `lifeboat report`: the guide's RPO and RTO tables with their "Actual"
 * column, and the controls an auditor asks for (after AWS Backup Audit
 * Manager's), from the run journal and the catalog alone. What cannot be
 * told is `unknown`, which is never counted as compliant.
 */
export type Compliance = 'compliant' | 'non-compliant' | 'unknown';

export const REPORT_FORMAT = 1;

export interface AuditReport {
  /** The JSON's format: bumped when a field changes meaning. */
  version: typeof REPORT_FORMAT;
  plan: { name: string; file: string };
  generatedAt: string;
  period: { from: string; to: string };
  /** Destinations that could not be read: what they hold is not counted, and checks that need it are unknown. */
  unreachable: Array<{ destination: string; reason: string }>;
  summary: Record<Compliance, number>;
  components: ComponentReport[];
  controls: Control[];
  failures: Failure[];
  evidence: { backups: BackupEvidence[]; runs: RunEvidence[] };
}

export interface ComponentReport {
  component: string;
  kind: string;
  rpo: {
    targetMs: number;
    /** The longest time data went without a backup in the period (gaps between backups, and since the last); absent when unknown or on change. */
    actualMs?: number;
    lastBackupAt?: string;
    backups: number;
    compliance: Compliance;
  };
  rto: {
    targetMs: number;
    /** The last drill's measured restore time in the period. */
    actualMs?: number;
    lastDrillAt?: string;
    compliance: Compliance;
  };
  /** For the charts: each backup in the period with the time since the one before it. */
  backupGaps: Array<{ at: string; gapMs: number }>;
  /** For the charts: each drill in the period. */
  drills: Array<{ runId: string; at: string; ok: boolean; rtoActualMs?: number }>;
}

export interface Control {
  id: string;
  title: string;
  compliance: Compliance;
  components: Array<{ component: string; compliance: Compliance; detail: string; evidence: string[] }>;
}

export interface Failure {
  runId: string;
  operation: Operation;
  component: string;
  at: string;
  error: string;
  /** The first later run of the same operation on the component that succeeded. */
  resolvedBy?: { runId: string; at: string };
}

export interface BackupEvidence {
  component: string;
  id: string;
  finishedAt: string;
  destinations: string[];
  encrypted: boolean;
  /** sha256 of manifest.json as stored in the first destination that holds it. */
  manifestSha256?: string;
}

export interface RunEvidence {
  id: string;
  operation: Operation;
  finishedAt: string;
  exitCode: number;
  host: string;
  user?: string;
  components: string[];
}

export interface ReportInput {
  plan: Plan;
  catalog: CatalogEntry[];
  journal: RunRecord[];
  now: Date;
  sinceMs: number;
  manifestSha256?: ReadonlyMap<string, string>;
  unreachable?: ReadonlyMap<string, string>;
}

/** The worst of several verdicts: any non-compliant, else any unknown, else compliant (none: unknown). */
export function combine(verdicts: Compliance[]): Compliance {
  if (verdicts.length === 0) return 'unknown';
  if (verdicts.includes('non-compliant')) return 'non-compliant';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'compliant';
}

/** Pure: the report of the plan's components over `[now - sinceMs, now]`. */
export function buildReport(input: ReportInput): AuditReport {
  const { plan, catalog, journal, now } = input;
  const unreachable = input.unreachable ?? new Map<string, string>();
  const from = new Date(now.getTime() - input.sinceMs);
  const inPeriod = (at: string) => Date.parse(at) >= from.getTime() && Date.parse(at) <= now.getTime();
  // Times ahead of the clock cannot be believed (clock-skew.ts): they count as nothing.
  const believable = catalog.filter((e) => aheadOfNow(new Date(e.manifest.finishedAt), now) === undefined);
  const runs = journal.filter((r) => inPeriod(r.finishedAt));
  const statuses = assessStatus(plan, believable, journal.filter((r) => Date.parse(r.finishedAt) <= now.getTime()), now, unreachable);

  const components: ComponentReport[] = [];
  const controls: Record<string, Control['components']> = { 'backup-within-rpo': [], 'backup-encrypted': [], retention: [], 'offsite-copy': [], 'restore-drill': [], 'verify-coverage': [], 'failures-resolved': [] };
  const failures: Failure[] = [];

  for (const entry of Object.values(plan.components)) {
    const component = entry.name;
    const backups = believable.filter((e) => e.component === component).sort((a, b) => a.manifest.finishedAt.localeCompare(b.manifest.finishedAt));
    const mine = (r: RunRecord) => r.components.find((c) => c.component === component);
    const componentRuns = runs.filter((r) => mine(r) !== undefined);
    const ofOperation = (operation: Operation) => componentRuns.filter((r) => r.operation === operation);

    // RPO actual: data points are backups and "unchanged" checks (the source was seen, nothing new to keep).
    const points = [
      ...backups.map((b) => b.manifest.finishedAt),
      ...journal.filter((r) => r.operation === 'backup' && mine(r)?.outcome === 'unchanged' && Date.parse(r.finishedAt) <= now.getTime()).map((r) => r.finishedAt),
    ].sort();
    const gaps: Array<{ at: string; gapMs: number }> = [];
    for (let i = 1; i < points.length; i++) if (inPeriod(points[i]!)) gaps.push({ at: points[i]!, gapMs: Date.parse(points[i]!) - Date.parse(points[i - 1]!) });
    const last = points.at(-1);
    const backupsInPeriod = backups.filter((b) => inPeriod(b.manifest.finishedAt));
    const failedBackups = ofOperation('backup').filter((r) => mine(r)!.outcome === 'failed');
    let rpoActual: number | undefined;
    let rpoCompliance: Compliance;
    if (entry.rpo === 0) {
      rpoCompliance = last === undefined ? 'unknown' : failedBackups.some((r) => !resolvedBy(r, component, journal, now)) ? 'non-compliant' : 'compliant';
    } else if (last === undefined) {
      rpoCompliance = 'unknown';
    } else {
      rpoActual = Math.max(now.getTime() - Date.parse(last), ...gaps.map((g) => g.gapMs));
      rpoCompliance = rpoActual <= entry.rpo ? 'compliant' : 'non-compliant';
    }

    const drills = ofOperation('drill').map((r) => {
      const c = mine(r)!;
      const rto = c.details?.rtoActualMs;
      return { runId: r.id, at: r.finishedAt, ok: c.outcome === 'ok', ...(typeof rto === 'number' ? { rtoActualMs: rto } : {}) };
    });
    const lastDrill = drills.at(-1);
    const rtoCompliance: Compliance = !lastDrill ? 'unknown' : !lastDrill.ok || lastDrill.rtoActualMs === undefined ? 'non-compliant' : lastDrill.rtoActualMs <= entry.rto ? 'compliant' : 'non-compliant';

    components.push({
      component,
      kind: entry.type,
      rpo: { targetMs: entry.rpo, ...(rpoActual !== undefined ? { actualMs: rpoActual } : {}), ...(last ? { lastBackupAt: last } : {}), backups: backupsInPeriod.length, compliance: rpoCompliance },
      rto: { targetMs: entry.rto, ...(lastDrill?.rtoActualMs !== undefined && lastDrill.ok ? { actualMs: lastDrill.rtoActualMs } : {}), ...(lastDrill ? { lastDrillAt: lastDrill.at } : {}), compliance: rtoCompliance },
      backupGaps: gaps,
      drills,
    });

    const ids = (list: Array<{ id: string }>) => list.map((b) => b.id);
    controls['backup-within-rpo']!.push({
      component,
      compliance: rpoCompliance,
      detail:
        rpoCompliance === 'unknown'
          ? `no backup of ${component} found`
          : entry.rpo === 0
            ? `on change: ${backupsInPeriod.length} backups in the period${failedBackups.length ? `, ${failedBackups.length} failed runs` : ''}`
            : `longest time without a backup ${formatDuration(rpoActual!)} against an RPO of ${formatDuration(entry.rpo)}`,
      evidence: ids(backupsInPeriod),
    });

    const unencrypted = backupsInPeriod.filter((b) => b.manifest.artifacts.some((a) => a.encryption !== 'age'));
    controls['backup-encrypted']!.push({
      component,
      compliance: backupsInPeriod.length === 0 ? 'unknown' : unencrypted.length > 0 ? 'non-compliant' : 'compliant',
      detail:
        backupsInPeriod.length === 0
          ? 'no backup in the period'
          : unencrypted.length > 0
            ? `${unencrypted.length} of ${backupsInPeriod.length} backups have unencrypted artifacts`
            : `all ${backupsInPeriod.length} backups encrypted with age`,
      evidence: ids(unencrypted.length > 0 ? unencrypted : backupsInPeriod),
    });

    controls.retention!.push(retentionControl(plan, component, journal, backups, now, unreachable));

    const status = statuses.find((s) => s.component === component)!;
    const c = status.compliance;
    controls['offsite-copy']!.push({
      component,
      compliance: !status.lastBackup ? 'unknown' : c.ok ? 'compliant' : c.unreachable.length > 0 ? 'unknown' : 'non-compliant',
      detail: status.lastBackup
        ? `latest backup ${status.lastBackup.id}: ${c.copies} copies counting the live data, ${c.media} media, ${c.offsite} offsite (required ${c.required.copies}-${c.required.media}-${c.required.offsite})${c.unreachable.length ? `; unreachable: ${c.unreachable.join(', ')}` : ''}`
        : 'no backup found',
      evidence: status.lastBackup ? [status.lastBackup.id] : [],
    });

    controls['restore-drill']!.push({
      component,
      compliance: !entry.drill ? 'non-compliant' : rtoCompliance === 'unknown' ? 'non-compliant' : rtoCompliance,
      detail: !entry.drill
        ? 'the plan has no drill target for it'
        : !lastDrill
          ? 'no drill in the period'
          : `${drills.length} drills; the last ${lastDrill.ok ? `restored in ${lastDrill.rtoActualMs === undefined ? 'an unmeasured time' : formatDuration(lastDrill.rtoActualMs)}` : 'FAILED'} against an RTO of ${formatDuration(entry.rto)}`,
      evidence: drills.map((d) => d.runId),
    });

    const verifies = ofOperation('verify');
    const lastVerify = verifies.at(-1);
    controls['verify-coverage']!.push({
      component,
      compliance: !lastVerify ? 'non-compliant' : mine(lastVerify)!.outcome === 'ok' ? 'compliant' : 'non-compliant',
      detail: !lastVerify ? 'not verified in the period' : `${verifies.length} verify runs; the last ${mine(lastVerify)!.outcome === 'ok' ? 'found every copy intact' : `found damage: ${mine(lastVerify)!.error ?? ''}`.trim()}`,
      evidence: verifies.map((r) => r.id),
    });

    const failed = componentRuns.filter((r) => mine(r)!.outcome === 'failed');
    const open: Failure[] = [];
    for (const r of failed) {
      const fix = resolvedBy(r, component, journal, now);
      const failure: Failure = { runId: r.id, operation: r.operation, component, at: r.finishedAt, error: mine(r)!.error ?? 'no reason recorded', ...(fix ? { resolvedBy: { runId: fix.id, at: fix.finishedAt } } : {}) };
      failures.push(failure);
      if (!fix) open.push(failure);
    }
    controls['failures-resolved']!.push({
      component,
      compliance: open.length > 0 ? 'non-compliant' : 'compliant',
      detail: failed.length === 0 ? 'no failed runs in the period' : `${failed.length} failed runs, ${open.length} not followed by a successful one`,
      evidence: failed.map((r) => r.id),
    });
  }

  const titled: Control[] = CONTROLS.map(({ id, title }) => ({ id, title, compliance: combine(controls[id]!.map((c) => c.compliance)), components: controls[id]! }));
  const summary: Record<Compliance, number> = { compliant: 0, 'non-compliant': 0, unknown: 0 };
  for (const control of titled) summary[control.compliance]++;
  return {
    version: REPORT_FORMAT,
    plan: { name: plan.name, file: plan.file },
    generatedAt: now.toISOString(),
    period: { from: from.toISOString(), to: now.toISOString() },
    unreachable: [...unreachable].map(([destination, reason]) => ({ destination, reason })),
    summary,
    components,
    controls: titled,
    failures: failures.sort((a, b) => a.at.localeCompare(b.at)),
    evidence: {
      backups: believable
        .filter((b) => inPeriod(b.manifest.finishedAt))
        .map((b) => ({
          component: b.component,
          id: b.id,
          finishedAt: b.manifest.finishedAt,
          destinations: b.destinations,
          encrypted: b.manifest.artifacts.every((a) => a.encryption === 'age'),
          ...(input.manifestSha256?.get(b.id) ? { manifestSha256: input.manifestSha256.get(b.id)! } : {}),
        })),
      runs: runs.map((r) => ({ id: r.id, operation: r.operation, finishedAt: r.finishedAt, exitCode: r.exitCode, host: r.host, ...(r.user ? { user: r.user } : {}), components: r.components.map((c) => c.component) })),
    },
  };
}

export const CONTROLS: ReadonlyArray<{ id: string; title: string }> = [
  { id: 'backup-within-rpo', title: 'Every component in the plan is backed up within its RPO' },
  { id: 'backup-encrypted', title: 'Backups are encrypted' },
  { id: 'retention', title: 'Backups are kept as long as retention and legal holds require' },
  { id: 'offsite-copy', title: 'The latest backup has its copies, media and offsite copy (3-2-1)' },
  { id: 'restore-drill', title: 'Restore drills ran in the period and met the RTO' },
  { id: 'verify-coverage', title: 'Backups were verified in the period and found intact' },
  { id: 'failures-resolved', title: 'Every failed run was followed by a successful one' },
];

/** The first later run of the same operation on the component that succeeded (a later unchanged backup counts). */
function resolvedBy(failed: RunRecord, component: string, journal: RunRecord[], now: Date): RunRecord | undefined {
  return journal.find((r) => {
    const c = r.components.find((x) => x.component === component);
    return r.operation === failed.operation && r.finishedAt > failed.finishedAt && Date.parse(r.finishedAt) <= now.getTime() && (c?.outcome === 'ok' || c?.outcome === 'unchanged');
  });
}

/**
 * Every backup the journal records that a destination's policy or a legal
 * hold still requires is in that destination: younger than `within`, among
 * the newest `keepLast`, or held. A destination without a policy keeps every
 * backup. Policies that keep by calendar (daily, weekly…) are judged only by
 * their `within`/`keepLast` parts.
 */
function retentionControl(
  plan: Plan,
  component: string,
  journal: RunRecord[],
  backups: CatalogEntry[],
  now: Date,
  unreachable: ReadonlyMap<string, string>,
): Control['components'][number] {
  const entry = plan.components[component]!;
  const recorded = journal
    .flatMap((r) => (r.operation === 'backup' ? r.components.filter((c) => c.component === component && c.outcome === 'ok' && c.backupId).map((c) => ({ id: c.backupId!, at: r.finishedAt })) : []))
    .sort((a, b) => a.at.localeCompare(b.at));
  if (recorded.length === 0) return { component, compliance: 'unknown', detail: 'the journal records no backup of it', evidence: [] };
  const holds = holdsFor(plan, component).filter((h) => holdIsActive(h, now));
  const missing: string[] = [];
  const lost: string[] = [];
  let required = 0;
  for (const destination of entry.destinations) {
    const policy = entry.retention[destination];
    const newest = policy?.keepLast ? new Set(recorded.slice(-policy.keepLast).map((b) => b.id)) : new Set<string>();
    for (const b of recorded) {
      const age = now.getTime() - Date.parse(b.at);
      const held = holds.some((h) => holdCovers(h, new Date(b.at)));
      const needed = !policy || held || (policy.within !== undefined && age <= policy.within) || newest.has(b.id);
      if (!needed) continue;
      required++;
      if (backups.some((e) => e.id === b.id && e.destinations.includes(destination))) continue;
      (unreachable.has(destination) ? lost : missing).push(`${b.id} in ${destination}${held ? ' (legal hold)' : ''}`);
    }
  }
  const compliance: Compliance = missing.length > 0 ? 'non-compliant' : lost.length > 0 ? 'unknown' : 'compliant';
  const detail =
    missing.length > 0
      ? `missing though retention or a legal hold requires them: ${missing.join(', ')}`
      : lost.length > 0
        ? `cannot tell: ${lost.join(', ')} (destination unreachable)`
        : `all ${required} required copies present${holds.length ? ` (${holds.length} legal hold${holds.length === 1 ? '' : 's'} active)` : ''}`;
  return { component, compliance, detail, evidence: [...missing, ...lost].map((m) => m.split(' ')[0]!) };
}
