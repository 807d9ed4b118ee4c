import {
  ageVerdict,
  aheadOfNow,
  formatDuration,
  manifestBytes,
  nowOf,
  readCatalog,
  readJournal,
  readRepositoryLocks,
  describeError,
  type ArchiveStatus,
  type CatalogEntry,
  type EngineContext,
  type Plan,
  type Rule321,
  type RunRecord,
  type Severity,
} from '@lifeboat/core';

export type Health = 'ok' | 'warning' | 'critical';

/** Where a component stands against its targets, from the destinations alone. */
export interface ComponentStatus {
  component: string;
  kind: string;
  health: Health;
  /** The worst alert this status deserves; undefined when healthy. */
  severity?: Severity;
  /** One sentence per thing that is not ok. */
  reasons: string[];
  rpoMs: number;
  rtoMs: number;
  /** The newest backup dated at or before now (backups dated in the future are in `datedInFuture`). */
  lastBackup?: { id: string; finishedAt: string; bytes: number; destinations: string[] };
  /**
   * Backups whose time is ahead of now by more than the clock-skew tolerance,
   * oldest first: written by a host whose clock ran ahead. Never counted as
   * fresh; prune keeps them. A warning while there are any.
   */
  datedInFuture?: Array<{ id: string; finishedAt: string; aheadMs: number }>;
  /** Last time the source was checked and found unchanged (on-change schedules). */
  lastCheckedAt?: string;
  /** Since the newer of the last backup and the last unchanged check; never negative. */
  ageMs?: number;
  freshness: Health | 'never';
  /** Copies counted in reachable destinations only; `unreachable` names the component's destinations that could not be read. */
  compliance: { copies: number; media: number; offsite: number; required: Rule321; ok: boolean; unreachable: string[] };
  /** Each destination of the component, in plan order, and whether it could be read. */
  destinations: DestinationStatus[];
  lastDrill?: { at: string; ok: boolean; rtoActualMs?: number; error?: string };
  lastVerify?: { at: string; ok: boolean; error?: string };
  /**
   * Repository locks found in the destinations (readStatus only): a backup or
   * prune running now, or a stale lock the next run takes over. Neither is a
   * health problem; they answer "is something running?" and "why exit 75?".
   */
  locks?: StatusLock[];
  /**
   * What the kind keeps beside its backups (a postgres component's WAL
   * archive), as its strategy reports it (readStatus only); its problems are
   * among `reasons` and count in `health`.
   */
  archive?: { name: string; fields: Record<string, unknown>; lines: string[]; metrics?: ArchiveStatus['metrics'] };
}

export interface DestinationStatus {
  destination: string;
  /** False when it could not be listed: whatever it holds is unknown and not counted. */
  reachable: boolean;
  /** Why not, when unreachable. */
  reason?: string;
}

export interface StatusLock {
  destination: string;
  operation: string;
  owner: string;
  pid: number;
  since: string;
  expiresAt: string;
  /** Why it no longer holds; absent while it is live. */
  stale?: string;
}

/** The guide's rule when a plan states none. */
export const DEFAULT_RULE321: Rule321 = { copies: 3, media: 2, offsite: 1 };
/** Past this share of the RPO a component is "nearing" it. */
export { WARNING_SHARE } from '@lifeboat/core';

const RANK: Record<Health, number> = { ok: 0, warning: 1, critical: 2 };
const worse = (a: Health, b: Health): Health => (RANK[b] > RANK[a] ? b : a);
const SEV_RANK: Record<Severity, number> = { sev1: 3, sev2: 2, sev3: 1 };
const worstSeverity = (a: Severity | undefined, b: Severity): Severity => (!a || SEV_RANK[b] > SEV_RANK[a] ? b : a);

/**
 * Pure: plan + catalog + journal + now → status of every component. Severity
 * routing follows the guide's escalation: sev1 — last drill failed, or past
 * twice the RPO; sev2 — last backup failed, or past the RPO; sev3 — nearing
 * the RPO, 3-2-1 not met, never drilled, drill slower than the RTO.
 */
export function assessStatus(
  plan: Plan,
  catalog: CatalogEntry[],
  journal: RunRecord[],
  now: Date,
  /** Destinations that could not be read, with the reason (readCatalog's onUnreachable). */
  unreachable: ReadonlyMap<string, string> = new Map(),
): ComponentStatus[] {
  const rule = plan.rule321 ?? DEFAULT_RULE321;
  return Object.values(plan.components).map((entry) => {
    const { name: component } = entry;
    const reasons: string[] = [];
    let health: Health = 'ok';
    let severity: Severity | undefined;
    const flag = (h: Health, sev: Severity, reason: string) => {
      health = worse(health, h);
      severity = worstSeverity(severity, sev);
      reasons.push(reason);
    };

    // A time ahead of the clock is not a fresh backup: freshness is judged from the newest one dated before now.
    const inFuture = (at: string) => aheadOfNow(new Date(at), now) !== undefined;
    const backups = catalog.filter((e) => e.component === component);
    const future = backups.filter((e) => inFuture(e.manifest.finishedAt));
    const latest = backups.filter((e) => !inFuture(e.manifest.finishedAt)).at(-1);
    const runs = journal.filter((r) => r.components.some((c) => c.component === component));
    const mine = (r: RunRecord) => r.components.find((c) => c.component === component)!;
    const lastOf = (operation: RunRecord['operation']) => runs.filter((r) => r.operation === operation).at(-1);
    const lastBackupRun = lastOf('backup');
    const lastUnchanged = runs.filter((r) => r.operation === 'backup' && mine(r).outcome === 'unchanged' && !inFuture(r.finishedAt)).at(-1);

    const destinations: DestinationStatus[] = entry.destinations.map((destination) => {
      const reason = unreachable.get(destination);
      return reason === undefined ? { destination, reachable: true } : { destination, reachable: false, reason };
    });
    const lost = destinations.filter((d) => !d.reachable).map((d) => d.destination);
    for (const d of destinations) {
      if (d.reachable) continue;
      const offsite = plan.destinations[d.destination]?.offsite === true;
      flag('warning', 'sev3', `${component}'s ${offsite ? 'offsite ' : ''}copy in destination '${d.destination}' is unreachable and not counted: ${d.reason}`);
    }
    const unreadable = lost.map((d) => `'${d}'`).join(', ');

    const freshAt = [latest?.manifest.finishedAt, lastUnchanged?.finishedAt].filter((t): t is string => !!t).sort().at(-1);
    // Within the skew tolerance a backup may finish a little "after" now: age 0, not negative.
    const ageMs = freshAt ? Math.max(0, now.getTime() - Date.parse(freshAt)) : undefined;
    let freshness: ComponentStatus['freshness'] = 'never';
    const datedInFuture = future
      .map((e) => ({ id: e.id, finishedAt: e.manifest.finishedAt, aheadMs: Date.parse(e.manifest.finishedAt) - now.getTime() }))
      .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
    const newestAhead = datedInFuture.at(-1);
    if (newestAhead) {
      const others = datedInFuture.length > 1 ? ` (and ${datedInFuture.length - 1} more)` : '';
      flag(
        'warning',
        'sev3',
        `backup ${newestAhead.id} of ${component}${others} is dated ${formatDuration(newestAhead.aheadMs)} in the future (finished ${newestAhead.finishedAt}): clock skew on the writing host? It does not count as fresh and prune keeps it`,
      );
    }
    if (ageMs === undefined) {
      flag(
        'critical',
        'sev2',
        future.length > 0
          ? `${component} has no backup dated before now, only ones dated in the future`
          : lost.length
            ? `no backup of ${component} found in the destinations that answered (${unreadable} could not be read)`
            : `${component} has never been backed up`,
      );
    } else if (entry.rpo === 0) {
      // RPO 0 (on change): fresh as long as the last run saw every change.
      freshness = lastBackupRun && mine(lastBackupRun).outcome === 'failed' ? 'critical' : 'ok';
    } else {
      const verdict = ageVerdict(ageMs, entry.rpo);
      freshness = verdict.health;
      if (verdict.severity) flag(verdict.health, verdict.severity, `last backup of ${component} is ${hours(ageMs)} old, ${verdict.relation} its RPO of ${hours(entry.rpo)}`);
    }
    if (lastBackupRun && mine(lastBackupRun).outcome === 'failed') {
      flag('critical', 'sev2', `the last backup run of ${component} failed: ${mine(lastBackupRun).error ?? 'no reason recorded'}`);
    }

    const holding = latest ? latest.destinations.map((d) => plan.destinations[d]).filter((d) => d !== undefined) : [];
    const compliance = {
      // The live data is one of the three copies.
      copies: holding.length + 1,
      media: new Set(holding.map((d) => d.medium)).size,
      offsite: holding.filter((d) => d.offsite).length,
      required: rule,
      ok: false,
      unreachable: lost,
    };
    compliance.ok = compliance.copies >= rule.copies && compliance.media >= rule.media && compliance.offsite >= rule.offsite;
    if (latest && !compliance.ok) {
      flag(
        'warning',
        'sev3',
        `latest backup of ${component} does not meet 3-2-1 (${rule.copies}-${rule.media}-${rule.offsite}): ${compliance.copies} copies counting the live data, ${compliance.media} media, ${compliance.offsite} offsite${lost.length ? ` (${unreadable} unreachable, not counted)` : ''}`,
      );
    }

    const drillRun = lastOf('drill');
    const lastDrill = drillRun && {
      at: drillRun.finishedAt,
      ok: mine(drillRun).outcome === 'ok',
      rtoActualMs: mine(drillRun).details?.rtoActualMs as number | undefined,
      error: mine(drillRun).error,
    };
    if (!lastDrill) flag('warning', 'sev3', `${component} has never been restored by a drill`);
    else if (!lastDrill.ok) flag('critical', 'sev1', `the last drill of ${component} failed: ${lastDrill.error ?? 'no reason recorded'}`);
    else if (lastDrill.rtoActualMs !== undefined && lastDrill.rtoActualMs > entry.rto) {
      flag('warning', 'sev3', `the last drill of ${component} took ${hours(lastDrill.rtoActualMs)}, over its RTO of ${hours(entry.rto)}`);
    }

    const verifyRun = lastOf('verify');
    const lastVerify = verifyRun && { at: verifyRun.finishedAt, ok: mine(verifyRun).outcome === 'ok', error: mine(verifyRun).error };
    if (lastVerify && !lastVerify.ok) flag('critical', 'sev2', `the last verify of ${component} found damage: ${lastVerify.error ?? ''}`.trim());

    return {
      component,
      kind: entry.type,
      health,
      ...(severity ? { severity } : {}),
      reasons,
      rpoMs: entry.rpo,
      rtoMs: entry.rto,
      ...(latest
        ? { lastBackup: { id: latest.id, finishedAt: latest.manifest.finishedAt, bytes: manifestBytes(latest.manifest), destinations: latest.destinations } }
        : {}),
      ...(datedInFuture.length > 0 ? { datedInFuture } : {}),
      ...(lastUnchanged ? { lastCheckedAt: lastUnchanged.finishedAt } : {}),
      ...(ageMs !== undefined ? { ageMs } : {}),
      freshness,
      compliance,
      destinations,
      ...(lastDrill ? { lastDrill } : {}),
      ...(lastVerify ? { lastVerify } : {}),
    };
  });
}

/** Reads the destinations (catalog and journal) and assesses every component. */
export async function readStatus(ctx: EngineContext): Promise<ComponentStatus[]> {
  const warn = (message: string) => ctx.onEvent({ type: 'warning', message });
  const unreachable = new Map<string, string>();
  const onUnreachable = (destination: string, reason: string) => unreachable.set(destination, reason);
  const [catalog, journal] = await Promise.all([
    readCatalog(ctx.plan, ctx.registry, { onWarning: warn, onUnreachable }),
    readJournal(ctx.plan, ctx.registry, warn),
  ]);
  const now = nowOf(ctx);
  const statuses = assessStatus(ctx.plan, catalog, journal, now, unreachable);
  for (const status of statuses) {
    status.locks = await locksOf(ctx, status.component, unreachable);
    await archiveStatusOf(ctx, status, catalog, now);
  }
  return statuses;
}

/** Asks the component's strategy about what it keeps beside its backups (the WAL archive), if it keeps anything. */
async function archiveStatusOf(ctx: EngineContext, status: ComponentStatus, catalog: CatalogEntry[], now: Date): Promise<void> {
  const config = ctx.registry.component(ctx.plan, status.component);
  const archive = ctx.registry.strategy(config.type).archive;
  if (!archive?.applies(config)) return;
  let found: ArchiveStatus;
  try {
    found = await archive.status({
      engine: ctx,
      component: status.component,
      config,
      now,
      backups: catalog.filter((e) => e.component === status.component).map((e) => e.manifest),
      reachable: status.destinations.filter((d) => d.reachable).map((d) => d.destination),
    });
  } catch (err) {
    found = { fields: {}, lines: [], problems: [{ health: 'warning', severity: 'sev3', reason: `cannot tell the state of the ${archive.name} of ${status.component}: ${describeError(err)}` }] };
  }
  withArchiveStatus(status, archive.name, found);
}

/** Pure: the archive's figures and lines on the status, its problems among the reasons, health and severity. */
export function withArchiveStatus(status: ComponentStatus, name: string, found: ArchiveStatus): ComponentStatus {
  for (const problem of found.problems) {
    status.health = worse(status.health, problem.health);
    status.severity = worstSeverity(status.severity, problem.severity);
    status.reasons.push(problem.reason);
  }
  status.archive = { name, fields: found.fields, lines: found.lines, ...(found.metrics ? { metrics: found.metrics } : {}) };
  return status;
}

/** The component's repository locks; a destination that cannot be read is left out (the catalog has warned about it). */
async function locksOf(ctx: EngineContext, component: string, unreachable: ReadonlyMap<string, string>): Promise<StatusLock[]> {
  const locks: StatusLock[] = [];
  for (const name of ctx.registry.component(ctx.plan, component).destinations) {
    if (unreachable.has(name)) continue;
    try {
      for (const found of await readRepositoryLocks([ctx.registry.repository(ctx.plan, name)], component)) {
        const { holder } = found;
        if (holder === undefined) {
          ctx.onEvent({ type: 'warning', component, message: `${found.description} has a lock object for ${component} that is not a Lifeboat lock` });
          continue;
        }
        locks.push({
          destination: name,
          operation: holder.operation,
          owner: holder.owner,
          pid: holder.pid,
          since: holder.acquiredAt,
          expiresAt: holder.expiresAt,
          ...(found.stale ? { stale: found.stale } : {}),
        });
      }
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      ctx.onEvent({ type: 'warning', component, message: `cannot read the lock of ${component} in destination '${name}': ${describeError(err)}` });
    }
  }
  return locks;
}

function hours(ms: number): string {
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1).replace(/\.0$/, '')}h`;
  return `${(ms / 86_400_000).toFixed(1).replace(/\.0$/, '')}d`;
}
