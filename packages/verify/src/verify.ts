import {
  ExitCode,
  describeError,
  inRun,
  readCatalog,
  restoreContext,
  type CatalogEntry,
  type DamagedManifest,
  type EngineContext,
  type RunReport,
  type VerifiedCopies,
} from '@lifeboat/core';
import { verifyChecksums } from './checksums.js';
import { rotatingSample } from './sample.js';

export interface VerifyOptions {
  components: string[];
  /** Also check structure with the strategy (pg_restore --list, RDB CRC, tar listing). */
  deep: boolean;
  /** Read only this percentage, rotating daily. */
  samplePct?: number;
}

/** One backup copy in one destination, as verify found it. */
export interface CopyVerification {
  component: string;
  /** Absent for a destination that could not be listed (reachable: false). */
  backupId?: string;
  destination: string;
  /** False when the destination could not be listed: its copies were not verified (exit 3). */
  reachable: boolean;
  ok: boolean;
  /** Sentences: what is damaged or missing. */
  problems: string[];
  /** The strategy's structural summary with --deep. */
  structure?: string;
  /** Found about this backup as a whole, e.g. its copies' manifests disagree (also makes verify exit 3). */
  warnings?: string[];
  /** Not a backup but what the kind keeps beside them (`WAL archive`): `files` in it, `read` of them whole. */
  archive?: { name: string; files: number; read: number };
}

/** `verify` without --sample or --deep reads this share of an archive (the WAL) whole, rotating daily: all of it every 10 days. */
export const DEFAULT_ARCHIVE_SAMPLE_PCT = 10;

/**
 * Re-reads backups from every destination holding them and compares size and
 * sha256 with the manifest (and, with --deep, structure). Reports; never
 * repairs or deletes. Exit 3 when anything is damaged or missing.
 */
export async function runVerify(ctx: EngineContext, opts: VerifyOptions): Promise<{ exitCode: number; copies: CopyVerification[] }> {
  return inRun(ctx, { operation: 'verify', components: opts.components }, (ctx, { startedAt }) => verifyRun(ctx, opts, startedAt));
}

async function verifyRun(ctx: EngineContext, opts: VerifyOptions, startedAt: Date): Promise<RunReport<{ exitCode: number; copies: CopyVerification[] }>> {
  const started = Date.now();
  const warn = (message: string) => ctx.onEvent({ type: 'warning', message });

  const work: Array<{ entry: CatalogEntry; destination: string }> = [];
  // A manifest that cannot be read, or that sits where no backup of its id
  // belongs, is damage: an unreadable manifest may hide a real backup.
  const damagedManifests: CopyVerification[] = [];
  const onDamaged = (d: DamagedManifest) =>
    damagedManifests.push({ component: d.component, backupId: backupIdOf(d.key), destination: d.destination, reachable: true, ok: false, problems: [d.problem] });
  // A destination of the component that cannot be listed may hold copies nobody checked: never a pass.
  const unreachable: CopyVerification[] = [];
  for (const component of opts.components) {
    const onUnreachable = (destination: string, reason: string) =>
      unreachable.push({ component, destination, reachable: false, ok: false, problems: [unreachableProblem(ctx, component, destination, reason)] });
    for (const entry of await readCatalog(ctx.plan, ctx.registry, { component, onWarning: warn, onDamaged, onUnreachable })) {
      for (const destination of entry.destinations) work.push({ entry, destination });
    }
  }
  const chosen = opts.samplePct ? rotatingSample(work, (w) => `${w.entry.component}/${w.entry.id}/${w.destination}`, opts.samplePct, startedAt) : work;
  if (opts.samplePct) ctx.onEvent({ type: 'step', component: '*', message: `sampling ${chosen.length} of ${work.length} copies (${opts.samplePct}% rotating daily)` });

  const copies: CopyVerification[] = [];
  for (const { entry, destination } of chosen) {
    const { component } = entry;
    ctx.onEvent({ type: 'step', component, message: `verifying ${entry.id} in ${destination}` });
    // Each copy is judged by the manifest beside it, never by another destination's.
    const own = entry.copies.find((c) => c.destination === destination)!.manifest;
    const checks = await verifyChecksums(ctx.plan, ctx.registry, { ...entry, manifest: own, destinations: [destination] });
    const copy: CopyVerification = {
      component,
      backupId: entry.id,
      destination,
      reachable: true,
      ok: checks.every((c) => c.ok),
      problems: checks.flatMap((c) => (c.problem ? [c.problem] : [])),
      ...(entry.disagreement ? { warnings: [entry.disagreement] } : {}),
    };
    if (!copy.ok && (await prunedMeanwhile(ctx, entry, destination))) {
      // A prune (manifest first) took it after the catalog was read: gone on purpose, not damaged.
      ctx.onEvent({ type: 'step', component, message: `${entry.id} in ${destination} was pruned while verify ran; skipped` });
      continue;
    }
    if (copy.ok && opts.deep) {
      const strategy = ctx.registry.strategy(entry.manifest.kind);
      if (strategy.check) {
        try {
          copy.structure = await strategy.check(restoreContext(ctx, entry, { clean: false, yes: false, options: {} }, destination));
        } catch (err) {
          copy.ok = false;
          copy.problems.push(`${entry.id} in ${destination}: ${describeError(err)}`);
        }
      }
    }
    for (const problem of copy.problems) ctx.onEvent({ type: 'failed', component, message: problem, exitCode: ExitCode.unhealthy });
    if (copy.ok) ctx.onEvent({ type: 'verified', component, check: `${entry.id} in ${destination}`, detail: copy.structure ?? 'sizes and sha256 match' });
    copies.push(copy);
  }

  copies.push(...(await verifyArchives(ctx, opts, startedAt, new Set(unreachable.map((u) => `${u.component}/${u.destination}`)))));

  for (const copy of [...damagedManifests, ...unreachable]) {
    ctx.onEvent({ type: 'failed', component: copy.component, message: copy.problems[0]!, exitCode: ExitCode.unhealthy });
    copies.push(copy);
  }
  const disagreements = [...new Set(copies.flatMap((c) => (c.warnings ?? []).map((w) => `${c.component}: backup ${c.backupId}: ${w}`)))];
  for (const message of disagreements) ctx.onEvent({ type: 'failed', component: message.split(':')[0]!, message, exitCode: ExitCode.unhealthy });
  const exitCode = copies.every((c) => c.ok) && disagreements.length === 0 ? ExitCode.ok : ExitCode.unhealthy;
  const durationMs = Date.now() - started;
  return {
    value: { exitCode, copies },
    exitCode,
    journal: opts.components.map((component) => {
      const mine = copies.filter((c) => c.component === component);
      const damaged = mine.filter((c) => !c.ok || (c.warnings?.length ?? 0) > 0);
      return {
        component,
        outcome: damaged.length === 0 ? 'ok' : 'failed',
        durationMs,
        ...(damaged.length ? { error: [...new Set(damaged.flatMap((c) => [...c.problems, ...(c.warnings ?? [])]))].join('; ') } : {}),
        // Per backup, so prune can tell the newest backup known good (backupVerdicts in core).
        details: { copies: mine.length, damaged: damaged.length, deep: opts.deep, samplePct: opts.samplePct ?? 100, backups: copiesByBackup(mine) },
      };
    }),
  };
}

/**
 * What each component's kind keeps beside its backups (the WAL archive),
 * read back in every destination that answered: all of it with --deep, else
 * a share rotating daily (--sample, or DEFAULT_ARCHIVE_SAMPLE_PCT).
 */
async function verifyArchives(ctx: EngineContext, opts: VerifyOptions, startedAt: Date, unreachable: ReadonlySet<string>): Promise<CopyVerification[]> {
  const pct = opts.deep ? 100 : (opts.samplePct ?? DEFAULT_ARCHIVE_SAMPLE_PCT);
  const sampling = pct >= 100 ? 'every file' : `a ${pct}% sample rotating daily, and the newest segment`;
  const results: CopyVerification[] = [];
  for (const component of opts.components) {
    const config = ctx.registry.component(ctx.plan, component);
    const archive = ctx.registry.strategy(config.type).archive;
    if (!archive?.applies(config)) continue;
    for (const destination of config.destinations) {
      if (ctx.signal?.aborted) return results;
      if (unreachable.has(`${component}/${destination}`)) continue; // reported once, as an unreachable destination
      ctx.onEvent({ type: 'step', component, message: `verifying the ${archive.name} in ${destination}` });
      let copy: CopyVerification;
      try {
        const found = await archive.verify({
          engine: ctx,
          component,
          config,
          now: startedAt,
          repository: ctx.registry.repository(ctx.plan, destination),
          sample: (items, keyOf) => rotatingSample(items, keyOf, pct, startedAt),
          sampling,
        });
        copy = {
          component,
          destination,
          reachable: true,
          ok: found.problems.length === 0,
          problems: found.problems,
          structure: found.summary,
          archive: { name: found.archive, files: found.files, read: found.read },
        };
      } catch (err) {
        const problem = `cannot read the ${archive.name} of ${component} in destination '${destination}': ${describeError(err)}`;
        copy = { component, destination, reachable: true, ok: false, problems: [problem], archive: { name: archive.name, files: 0, read: 0 } };
      }
      for (const problem of copy.problems) ctx.onEvent({ type: 'failed', component, message: problem, exitCode: ExitCode.unhealthy });
      if (copy.ok) ctx.onEvent({ type: 'verified', component, check: `${archive.name} in ${destination}`, detail: copy.structure ?? '' });
      results.push(copy);
    }
  }
  return results;
}

/** Which destinations held an intact and a damaged copy of each backup verify read. */
function copiesByBackup(copies: CopyVerification[]): VerifiedCopies {
  const byBackup: VerifiedCopies = {};
  for (const copy of copies) {
    if (copy.backupId === undefined) continue; // an unreachable destination: no verdict on any backup
    (byBackup[copy.backupId] ??= { intact: [], damaged: [] })[copy.ok ? 'intact' : 'damaged'].push(copy.destination);
  }
  return byBackup;
}

/** True when the backup's manifest is gone from the destination now: pruned, not damaged. */
async function prunedMeanwhile(ctx: EngineContext, entry: CatalogEntry, destination: string): Promise<boolean> {
  const repository = ctx.registry.repository(ctx.plan, destination);
  try {
    return (await repository.adapter.head(repository.manifestKey(entry.component, entry.id))) === undefined;
  } catch {
    return false; // cannot tell: report what was found
  }
}

/** The backup folder a manifest key names (`<component>/<yyyy>/<mm>/<backupId>/manifest.json`), for the report. */
function backupIdOf(key: string): string {
  return key.split('/').at(-2) ?? key;
}

/** The sentence for a destination of `component` that could not be listed. */
function unreachableProblem(ctx: EngineContext, component: string, destination: string, reason: string): string {
  const offsite = ctx.plan.destinations[destination]?.offsite === true;
  return `${ctx.registry.repository(ctx.plan, destination).description}${offsite ? ', offsite,' : ''} is unreachable, so the copies of ${component} there were not verified: ${reason}`;
}
