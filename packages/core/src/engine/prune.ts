/**
 * Prune: apply each destination's retention policy, explaining every decision,
 * and remove debris. Order matters for crash safety: a backup loses its
 * manifest first and its artifacts after (`Repository.removeBackup`), so an
 * interrupted prune leaves, at worst, artifacts without a manifest — which no
 * command treats as a backup and the next prune removes as debris.
 */
import { aheadOfNow } from '../clock-skew.js';
import { ExitCode, LockHeldError, describeError, worstExit } from '../errors.js';
import { formatDuration } from '../duration.js';
import { readJournal } from '../journal/journal.js';
import { backupVerdicts, type BackupVerdict } from '../journal/verdicts.js';
import { inRun } from './journal-run.js';
import type { ArchivePruneReport } from '../archive.js';
import type { RetentionPolicy } from '../plan/types.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { scanBackupFolders, type BackupFolder } from '../retention/backup-folders.js';
import { holdsFor } from '../retention/holds.js';
import { readPin } from '../retention/pins.js';
import { assertPlanAgrees } from '../retention/plan-check.js';
import { decideRetention, type RetentionCandidate, type RetentionDecision } from '../retention/policy.js';
import type { ComponentOutcome } from './backup.js';
import { nowOf, type EngineContext } from './context.js';
import { acquireLock, type HostLock } from './lock.js';
import { acquireRepositoryLocks, readersOf, type RepositoryLocks } from './repository-lock.js';

/** Folders without a manifest younger than this may be a backup still being written (from another host). */
export const DEBRIS_AGE_MS = 24 * 3_600_000;

export interface PruneOptions {
  /** Decide and print, delete nothing, take no lock, write no journal. */
  dryRun: boolean;
  /** Emit an event per kept backup (default); auto-prune after a backup shows only a count. */
  showKept?: boolean;
}

export interface PruneDestinationResult {
  destination: string;
  /** The policy as written in the plan (durations in ms); absent: this destination keeps everything. */
  policy?: RetentionPolicy;
  keep: Array<{ id: string; finishedAt: string; reasons: string[] }>;
  delete: Array<{ id: string; finishedAt: string; reason: string; deleted: boolean; error?: string }>;
  debris: Array<{ backupId: string; prefix: string; objects: number; bytes: number; newestAt: string; reason: string; removed: boolean; error?: string }>;
  /** Folders without a manifest left alone: too young, or holding a manifest that cannot be read. */
  left: Array<{ backupId: string; prefix: string; reason: string }>;
  /** The destination could not be read; nothing was decided there. */
  error?: string;
  /** What the kind keeps beside its backups (the WAL archive): what went or would go, and why. */
  archive?: ArchivePruneReport;
}

export interface PruneComponentResult {
  component: string;
  outcome: 'ok' | 'failed' | 'locked';
  exitCode: number;
  dryRun: boolean;
  destinations: PruneDestinationResult[];
  error?: string;
}

export interface PruneOutcome {
  exitCode: number;
  dryRun: boolean;
  results: PruneComponentResult[];
}

/**
 * Prunes each component in every destination it names. Refuses to start
 * (PlanError, exit 2) when the plan's lifecycle contradicts its retention.
 */
export async function runPrune(ctx: EngineContext, components: string[], opts: PruneOptions): Promise<PruneOutcome> {
  assertPlanAgrees(ctx.plan, nowOf(ctx));
  for (const component of components) ctx.registry.component(ctx.plan, component);

  return inRun(ctx, { operation: 'prune', components }, async (ctx, { startedAt: now }) => {
    const results: PruneComponentResult[] = [];
    const durations: number[] = [];
    // What verify and drills found: the newest backup known good is never pruned.
    const journal = components.some((c) => Object.keys(ctx.plan.components[c]?.retention ?? {}).length > 0)
      ? await readJournal(ctx.plan, ctx.registry, (message) => ctx.onEvent({ type: 'warning', message: `${message}; prune cannot see what verify found there` }))
      : [];
    for (const component of components) {
      if (ctx.signal?.aborted) break;
      const componentStarted = Date.now();
      results.push(await pruneComponent(ctx, component, now, opts, backupVerdicts(journal, component)));
      durations.push(Date.now() - componentStarted);
    }
    const exitCode = worstExit(results.map((r) => r.exitCode));
    return {
      value: { exitCode, dryRun: opts.dryRun, results },
      exitCode,
      // A dry run changes nothing, the journal included.
      ...(opts.dryRun
        ? {}
        : {
            journal: results.map((r, i) => ({
              component: r.component,
              outcome: r.outcome,
              ...(r.error ? { error: r.error } : {}),
              durationMs: durations[i] ?? 0,
              details: journalDetails(r),
            })),
          }),
    };
  });
}

/**
 * After a backup: prune each component that committed a backup, has
 * `prune: auto` and a retention policy for at least one destination. A failed prune is a warning — the backup it follows is
 * committed and stays a success.
 */
export async function autoPrune(ctx: EngineContext, backups: ComponentOutcome[]): Promise<PruneOutcome | undefined> {
  const components = backups
    .filter((b) => {
      const entry = ctx.plan.components[b.component];
      // With no retention anywhere there is nothing to apply; `lifeboat prune` still sweeps its debris.
      return b.outcome === 'ok' && entry?.prune === 'auto' && Object.keys(entry.retention).length > 0;
    })
    .map((b) => b.component);
  if (components.length === 0) return undefined;
  try {
    const outcome = await runPrune(ctx, components, { dryRun: false, showKept: false });
    for (const r of outcome.results) {
      if (r.exitCode !== ExitCode.ok) {
        ctx.onEvent({ type: 'warning', component: r.component, message: `the backup is committed, but pruning ${r.component} afterwards did not finish: ${r.error ?? 'see above'}` });
      }
    }
    return outcome;
  } catch (err) {
    ctx.onEvent({ type: 'warning', message: `the backup is committed, but pruning afterwards did not run: ${describeError(err)}` });
    return undefined;
  }
}

async function pruneComponent(
  ctx: EngineContext,
  component: string,
  now: Date,
  opts: PruneOptions,
  verdicts: Map<string, BackupVerdict>,
): Promise<PruneComponentResult> {
  const started = Date.now();
  ctx.onEvent({ type: 'component.started', component, operation: 'prune', at: new Date().toISOString() });
  const finish = (result: PruneComponentResult): PruneComponentResult => {
    ctx.onEvent({ type: 'component.finished', component, outcome: result.outcome === 'ok' ? 'ok' : 'failed', durationMs: Date.now() - started });
    return result;
  };

  let lock: HostLock | undefined;
  if (!opts.dryRun) {
    try {
      // The backup's lock: a prune never judges a folder a backup of this host is still writing.
      lock = acquireLock(ctx.lockDir, `${ctx.plan.name}.${component}`, 'prune');
    } catch (err) {
      const exitCode = err instanceof LockHeldError ? ExitCode.locked : ExitCode.failed;
      ctx.onEvent({ type: 'failed', component, message: describeError(err), exitCode });
      return finish({ component, outcome: exitCode === ExitCode.locked ? 'locked' : 'failed', exitCode, dryRun: opts.dryRun, destinations: [], error: describeError(err) });
    }
  }
  try {
    const destinations: PruneDestinationResult[] = [];
    let lockHeld: string | undefined;
    for (const name of ctx.registry.component(ctx.plan, component).destinations) {
      const repository = ctx.registry.repository(ctx.plan, name);
      let locks: RepositoryLocks | undefined;
      if (!opts.dryRun) {
        try {
          // The repository lock: no backup or prune from another host works on this component here meanwhile.
          locks = await acquireRepositoryLocks([repository], {
            plan: ctx.plan.name,
            component,
            operation: 'prune',
            ...(ctx.lockTiming ? { timing: ctx.lockTiming } : {}),
            onWarning: (message) => ctx.onEvent({ type: 'warning', component, message }),
          });
        } catch (err) {
          const error = `${describeError(err)}; nothing was pruned there`;
          if (err instanceof LockHeldError) lockHeld ??= error;
          ctx.onEvent({ type: 'warning', component, message: error });
          destinations.push({ destination: name, keep: [], delete: [], debris: [], left: [], error });
          continue;
        }
      }
      try {
        destinations.push(await pruneDestination(ctx, component, repository, now, opts, verdicts, locks?.lost));
      } finally {
        await locks?.release();
      }
    }
    if (lockHeld !== undefined) {
      ctx.onEvent({ type: 'failed', component, message: lockHeld, exitCode: ExitCode.locked });
      return finish({ component, outcome: 'locked', exitCode: ExitCode.locked, dryRun: opts.dryRun, destinations, error: lockHeld });
    }
    const problems = destinations.flatMap((d) => [
      ...(d.error ? [d.error] : []),
      ...d.delete.flatMap((b) => (b.error ? [b.error] : [])),
      ...d.debris.flatMap((f) => (f.error ? [f.error] : [])),
      ...(d.archive?.error ? [d.archive.error] : []),
    ]);
    const deleted = destinations.reduce((n, d) => n + d.delete.length, 0);
    const debris = destinations.reduce((n, d) => n + d.debris.length, 0);
    if (opts.dryRun) {
      ctx.onEvent({ type: 'step', component, message: `dry run: nothing was deleted (${plural(deleted, 'backup')} and ${plural(debris, 'debris folder')} would be)` });
    }
    if (problems.length > 0) {
      const error = problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more)`;
      return finish({ component, outcome: 'failed', exitCode: ExitCode.failed, dryRun: opts.dryRun, destinations, error });
    }
    return finish({ component, outcome: 'ok', exitCode: ExitCode.ok, dryRun: opts.dryRun, destinations });
  } finally {
    lock?.release();
  }
}

async function pruneDestination(
  ctx: EngineContext,
  component: string,
  repository: Repository,
  now: Date,
  opts: PruneOptions,
  verdicts: Map<string, BackupVerdict>,
  lockLost?: AbortSignal,
): Promise<PruneDestinationResult> {
  const destination = repository.name;
  const policy = ctx.plan.components[component]?.retention[destination];
  const result: PruneDestinationResult = { destination, ...(policy ? { policy } : {}), keep: [], delete: [], debris: [], left: [] };
  const decided = (backupId: string, decision: 'keep' | 'delete' | 'debris', reasons: string[]) =>
    ctx.onEvent({ type: 'retention', component, destination, backupId, decision, reasons, dryRun: opts.dryRun });

  let folders: BackupFolder[];
  try {
    folders = await scanBackupFolders(repository, component);
  } catch (err) {
    result.error = `cannot read ${repository.description}: ${describeError(err)}; nothing was pruned there`;
    ctx.onEvent({ type: 'warning', component, message: result.error });
    return result;
  }

  const backups: Array<RetentionCandidate & { manifest: Manifest }> = [];
  const unreadable: string[] = [];
  for (const folder of folders) {
    if (!folder.hasManifest) continue;
    const key = `${folder.prefix}manifest.json`;
    try {
      const manifest = await repository.readManifest(key);
      if (manifest.id !== folder.backupId || manifest.component !== component) throw new Error(`it describes ${manifest.component} backup ${manifest.id}`);
      const pin = folder.hasPin ? await readPin(repository, component, folder.backupId) : undefined;
      const verdict = verdicts.get(manifest.id);
      backups.push({ id: manifest.id, finishedAt: new Date(manifest.finishedAt), manifest, ...(pin ? { pinned: { reason: pin.reason } } : {}), ...(verdict ? { verdict } : {}) });
    } catch (err) {
      // Possibly a real backup with one damaged file: verify reports it; prune neither keeps counting on it nor deletes it.
      const reason = `its manifest cannot be read (${describeError(err)}); left for lifeboat verify to report, neither pruned nor counted`;
      result.left.push({ backupId: folder.backupId, prefix: folder.prefix, reason });
      unreadable.push(folder.backupId);
      ctx.onEvent({ type: 'warning', component, message: `${folder.prefix} in ${repository.description}: ${reason}` });
    }
  }

  // Backups a restore or drill is reading now stay, whatever the policy says.
  let readers: Awaited<ReturnType<typeof readersOf>> = { live: [], staleKeys: [] };
  try {
    readers = await readersOf(repository, component);
  } catch (err) {
    ctx.onEvent({ type: 'warning', component, message: `cannot read who is reading backups of ${component} in ${repository.description} (${describeError(err)}); pruning by the policy alone` });
  }
  for (const backup of backups) {
    const reader = readers.live.find((r) => r.backupId === backup.id);
    if (reader) backup.inUse = { reason: `${reader.operation} on ${reader.owner} (pid ${reader.pid}) since ${reader.since}` };
  }

  const future = backups.filter((b) => aheadOfNow(b.finishedAt, now) !== undefined);
  if (future.length > 0) {
    // Auto-prune shows kept backups only as a count: say it here too.
    const newest = future.reduce((a, b) => (b.finishedAt > a.finishedAt ? b : a));
    ctx.onEvent({
      type: 'warning',
      component,
      message: `${plural(future.length, 'backup')} of ${component} in ${destination} ${future.length === 1 ? 'is' : 'are'} dated in the future (${newest.id}, finished ${newest.manifest.finishedAt}); kept and not counted by the retention rules: check the clock of the host that wrote ${future.length === 1 ? 'it' : 'them'}`,
    });
  }

  const decision: RetentionDecision = policy
    ? decideRetention({ backups, policy, holds: holdsFor(ctx.plan, component), now })
    : { keep: backups.map((b) => ({ id: b.id, reasons: [`no retention policy for ${destination}: it keeps every backup`] })), delete: [] };
  const finishedAt = new Map(backups.map((b) => [b.id, b.manifest.finishedAt]));
  for (const keep of decision.keep) {
    result.keep.push({ id: keep.id, finishedAt: finishedAt.get(keep.id) ?? '', reasons: keep.reasons });
    if (opts.showKept !== false) decided(keep.id, 'keep', keep.reasons);
  }
  if (opts.showKept === false && decision.keep.length > 0) {
    ctx.onEvent({ type: 'step', component, message: `${destination}: keeping ${plural(decision.keep.length, 'backup')}` });
  }
  for (const del of decision.delete) {
    result.delete.push({ id: del.id, finishedAt: finishedAt.get(del.id) ?? '', reason: del.reason, deleted: false });
    decided(del.id, 'delete', [del.reason]);
  }

  for (const folder of folders) {
    if (folder.hasManifest) continue;
    const age = now.getTime() - folder.newestAt.getTime();
    if (age < DEBRIS_AGE_MS) {
      const reason = `no manifest, but written ${formatDuration(Math.max(age, 0))} ago: possibly a backup in progress; debris once it is a day old`;
      result.left.push({ backupId: folder.backupId, prefix: folder.prefix, reason });
      ctx.onEvent({ type: 'step', component, message: `leaving ${folder.prefix} in ${destination}: ${reason}` });
      continue;
    }
    const reason = `no manifest (an interrupted backup or prune), last written ${formatDuration(age)} ago: ${plural(folder.keys.length, 'object')} that no command treats as a backup`;
    result.debris.push({ backupId: folder.backupId, prefix: folder.prefix, objects: folder.keys.length, bytes: folder.bytes, newestAt: folder.newestAt.toISOString(), reason, removed: false });
    decided(folder.backupId, 'debris', [reason]);
  }

  // What stays once the decided deletions are done: in a dry run, as if they were.
  const kept = () => backups.filter((b) => !result.delete.some((d) => d.id === b.id && (opts.dryRun || d.deleted))).map((b) => b.manifest);
  if (opts.dryRun) {
    await pruneArchive(ctx, component, repository, now, opts, kept(), unreadable, result, lockLost);
    return result;
  }

  const stop = () => {
    if (lockLost?.aborted) result.error ??= `${describeError(lockLost.reason)}; pruning ${repository.description} stopped`;
    return ctx.signal?.aborted === true || lockLost?.aborted === true;
  };
  for (const del of result.delete) {
    if (stop()) break;
    try {
      await repository.removeBackup(component, del.id);
      del.deleted = true;
    } catch (err) {
      del.error = `could not delete ${del.id} from ${repository.description}: ${describeError(err)}`;
      ctx.onEvent({ type: 'warning', component, message: `${del.error}; if its manifest is gone, the next prune removes the rest as debris` });
    }
  }
  for (const folder of result.debris) {
    if (stop()) break;
    try {
      await repository.adapter.delete(folders.find((f) => f.backupId === folder.backupId)!.keys);
      folder.removed = true;
    } catch (err) {
      folder.error = `could not remove debris ${folder.prefix} from ${repository.description}: ${describeError(err)}`;
      ctx.onEvent({ type: 'warning', component, message: folder.error });
    }
  }
  if (readers.staleKeys.length > 0) {
    // Marks of readers that ended without removing theirs (a killed restore): nobody is reading.
    await repository.adapter.delete(readers.staleKeys).catch(() => undefined);
  }
  const deleted = result.delete.filter((d) => d.deleted).length;
  const removed = result.debris.filter((d) => d.removed).length;
  if (deleted + removed > 0) {
    ctx.onEvent({ type: 'step', component, message: `deleted ${plural(deleted, 'backup')} and ${plural(removed, 'debris folder')} from ${repository.description}` });
  }
  if (!stop()) await pruneArchive(ctx, component, repository, now, opts, kept(), unreadable, result, lockLost);
  return result;
}

/**
 * After the backups: what the kind keeps beside them (the WAL archive) goes
 * as far as no kept backup needs it — decided by the strategy, under the
 * same locks.
 */
async function pruneArchive(
  ctx: EngineContext,
  component: string,
  repository: Repository,
  now: Date,
  opts: PruneOptions,
  kept: Manifest[],
  unknown: string[],
  result: PruneDestinationResult,
  lockLost?: AbortSignal,
): Promise<void> {
  const config = ctx.registry.component(ctx.plan, component);
  const archive = ctx.registry.strategy(config.type).archive;
  if (!archive?.applies(config)) return;
  const signals = [ctx.signal, lockLost].filter((s): s is AbortSignal => s !== undefined);
  try {
    result.archive = await archive.prune({ engine: ctx, component, config, now, repository, kept, unknown, dryRun: opts.dryRun, signal: AbortSignal.any(signals) });
  } catch (err) {
    const error = `cannot prune the ${archive.name} of ${component} in ${repository.description}: ${describeError(err)}; nothing more was deleted there`;
    result.archive = { archive: archive.name, summary: error, remove: { files: 0, bytes: 0 }, keep: { files: 0, bytes: 0 }, removed: 0, error };
  }
  ctx.onEvent(result.archive.error ? { type: 'warning', component, message: result.archive.error } : { type: 'step', component, message: result.archive.summary });
}

/** What the run journal keeps of a prune: counts, and which backups went where, so "where did X go?" has an answer. */
function journalDetails(result: PruneComponentResult): Record<string, unknown> {
  const sum = (pick: (d: PruneDestinationResult) => number) => result.destinations.reduce((n, d) => n + pick(d), 0);
  return {
    kept: sum((d) => d.keep.length),
    deleted: sum((d) => d.delete.filter((b) => b.deleted).length),
    debrisRemoved: sum((d) => d.debris.filter((f) => f.removed).length),
    destinations: Object.fromEntries(
      result.destinations.map((d) => [
        d.destination,
        {
          kept: d.keep.length,
          deleted: d.delete.filter((b) => b.deleted).map(({ id, reason }) => ({ id, reason })),
          debrisRemoved: d.debris.filter((f) => f.removed).map(({ prefix, objects }) => ({ prefix, objects })),
          ...(d.archive ? { archive: { name: d.archive.archive, removed: d.archive.removed, ...(d.archive.remove.through ? { through: d.archive.remove.through } : {}) } } : {}),
          ...(d.error ? { error: d.error } : {}),
        },
      ]),
    ),
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

