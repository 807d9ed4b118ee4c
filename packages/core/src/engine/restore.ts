import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CopyUnusableError, ExitCode, LifeboatError, UsageError, describeError } from '../errors.js';
import { verifiedContent } from '../pipeline/verified-read.js';
import { runHooks } from '../process/hooks.js';
import type { ContentEntry, ContentSink, PreparedRestore, RestoreContext, RestoreOutcome, RestoreRequest, Strategy } from '../strategy.js';
import { checkRestoreRequest, restoreSurfaceOf } from '../restore-surface.js';
import { readCatalog, type CatalogEntry } from './catalog.js';
import { identitiesFor, secretsFor, type EngineContext } from './context.js';
import { inRun } from './journal-run.js';
import { registerReader } from './repository-lock.js';
import { proveCopy, type ProvenCopy } from './proven-copy.js';

export interface RestoreSelection {
  component: string;
  /** A backup id; omitted = the latest complete backup. */
  backupId?: string;
}

/**
 * Finds the backup to restore, reading only the destinations. With `pick`,
 * the strategy may choose for the request (a restore to a point in time
 * picks the base backup before the point) or refuse it before anything is read whole.
 */
export async function selectBackup(
  ctx: EngineContext,
  selection: RestoreSelection,
  pick?: { strategy: Pick<Strategy, 'chooseBackup'>; request: RestoreRequest },
): Promise<CatalogEntry> {
  const catalog = await readCatalog(ctx.plan, ctx.registry, {
    component: selection.component,
    onWarning: (message) => ctx.onEvent({ type: 'warning', component: selection.component, message }),
  });
  // The strategy sees the request first (even with nothing to choose from): a malformed one is refused as such.
  const chosen = await pick?.strategy.chooseBackup?.(ctx, {
    component: selection.component,
    catalog,
    request: pick.request,
    ...(selection.backupId ? { backupId: selection.backupId } : {}),
  });
  if (chosen) return chosen;
  if (catalog.length === 0) {
    const where = ctx.registry.component(ctx.plan, selection.component).destinations.join(', ');
    throw new LifeboatError(`no complete backup of ${selection.component} exists in ${where}`);
  }
  if (!selection.backupId) return catalog.at(-1)!;
  const found = catalog.find((e) => e.id === selection.backupId);
  if (!found) {
    throw new UsageError(
      `no complete backup ${selection.backupId} of ${selection.component}; the latest is ${catalog.at(-1)!.id} (see lifeboat list ${selection.component})`,
    );
  }
  return found;
}

/** What a backup holds, without restoring it (`restore --list`). */
export async function listContents(ctx: EngineContext, selection: RestoreSelection): Promise<{ backupId: string; entries: ContentEntry[] }> {
  const entry = ctx.registry.component(ctx.plan, selection.component);
  const strategy = ctx.registry.strategy(entry.type);
  if (!strategy.contents) throw new UsageError(`--list is not available for ${entry.type} components`);
  const chosen = await selectBackup(ctx, selection);
  const entries = await strategy.contents(restoreContext(ctx, chosen, { clean: false, yes: false, options: {} }));
  return { backupId: chosen.id, entries };
}

/**
 * What a strategy gets to restore, check or list a backup. Artifacts are read
 * either from a `ProvenCopy` (a restore: the local spool that was read whole
 * and checked before anything changed) or straight from a destination
 * (default: the first that holds the backup), verified against that
 * destination's own manifest as they stream.
 */
export function restoreContext(ctx: EngineContext, chosen: CatalogEntry, request: RestoreRequest, from: string | ProvenCopy = chosen.destinations[0]!): RestoreContext<unknown> {
  const { component } = chosen;
  const proven = typeof from === 'string' ? undefined : from;
  const destination = typeof from === 'string' ? from : from.destination;
  const manifest = proven?.manifest ?? chosen.copies.find((c) => c.destination === destination)?.manifest ?? chosen.manifest;
  const repository = ctx.registry.repository(ctx.plan, destination);
  const identities = identitiesFor(ctx);
  const open: RestoreContext<unknown>['open'] = async (name) => {
    if (proven) return createReadStream(proven.path(name));
    const artifact = manifest.artifacts.find((a) => a.name === name || a.name === `${name}.age`);
    if (!artifact) throw new LifeboatError(`backup ${chosen.id} has no artifact ${name}`);
    const key = repository.artifactKey(component, chosen.id, artifact.name);
    let stored;
    try {
      stored = await repository.adapter.get(key);
    } catch (err) {
      throw new CopyUnusableError(`cannot read ${artifact.name} from ${repository.description}: ${describeError(err)}`, undefined, { cause: err });
    }
    return verifiedContent(stored, artifact, repository.description, identities ? { identities } : {});
  };
  return {
    component,
    config: ctx.registry.component(ctx.plan, component),
    secrets: secretsFor(ctx),
    planDir: ctx.plan.dir,
    env: ctx.env,
    signal: ctx.signal ?? new AbortController().signal,
    step: (message) => ctx.onEvent({ type: 'step', component, message }),
    warn: (message) => ctx.onEvent({ type: 'warning', component, message }),
    manifest,
    request,
    planFile: ctx.plan.file,
    ...(ctx.selfCommand ? { selfCommand: ctx.selfCommand } : {}),
    open,
    download,
    localFile: async (name) => {
      // The proven copy is verified content on this disk already (a spool file, or the stored file held open).
      if (proven) return { path: proven.path(name), unchanged: () => proven.unchanged(name), release: async () => {} };
      const dir = await mkdtemp(join(ctx.spoolDir ?? tmpdir(), 'lifeboat-restore-'));
      try {
        const path = join(dir, name);
        await download(name, path);
        return { path, unchanged: async () => {}, release: () => rm(dir, { recursive: true, force: true }) };
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    },
  };

  async function download(name: string, path: string): Promise<void> {
    if (proven) {
      // The spool is already verified content: a hard link when on the same filesystem, else a copy.
      await link(proven.path(name), path).catch(() => copyFile(proven.path(name), path));
      await chmod(path, 0o600);
      // A stored file read in place: what was copied is what was hashed.
      await proven.unchanged(name);
      return;
    }
    await pipeline(await open(name), createWriteStream(path, { mode: 0o600 }));
  }
}

/** Proves a copy of `chosen` usable (engine/proven-copy.ts), reporting as the run's component; only `artifacts` when given. */
export function proveFor(ctx: EngineContext, chosen: CatalogEntry, artifacts?: readonly string[], sink?: ContentSink): Promise<ProvenCopy> {
  const { component } = chosen;
  return proveCopy(ctx, chosen, {
    ...(ctx.spoolDir ? { spoolDir: ctx.spoolDir } : {}),
    ...(artifacts ? { artifacts } : {}),
    ...(sink ? { sink } : {}),
    onStep: (message) => ctx.onEvent({ type: 'step', component, message }),
    onWarning: (message) => ctx.onEvent({ type: 'warning', component, message }),
    onVerified: (check, detail) => ctx.onEvent({ type: 'verified', component, check, detail }),
    onProgress: (artifact, bytes, total) => ctx.onEvent({ type: 'progress', component, artifact, bytes, total }),
  });
}

/**
 * The part of a restore that reads only listings and changes nothing: the
 * request checked against the kind's options, the backup chosen (the
 * strategy's choice: a restore to a point proves the WAL archive reaches it),
 * and the strategy's preflight. Every refusal here is the one `lifeboat
 * restore` gives, before any hook runs.
 */
async function chooseAndPreflight(ctx: EngineContext, selection: RestoreSelection, request: RestoreRequest) {
  const entry = ctx.registry.component(ctx.plan, selection.component);
  const strategy = ctx.registry.strategy(entry.type);
  // An option the kind does not take is refused before anything is read.
  const checked = checkRestoreRequest(entry.type, restoreSurfaceOf(strategy), request);
  const chosen = await selectBackup(ctx, selection, { strategy, request: checked });
  await strategy.preflight?.(restoreContext(ctx, chosen, checked));
  return { entry, strategy, chosen, request: checked };
}

/** What `previewRestore` found: the backup a restore of the request would use, and what the strategy said while choosing it. */
export interface RestorePreview {
  backupId: string;
  /** Sentences, in order (a restore to a point: the base backup and the WAL files that reach the point). */
  steps: string[];
}

/**
 * What `runRestore` would restore for this request, and every refusal it
 * would give before touching anything (a point outside the WAL archive, a
 * data directory that is not empty), without reading a backup whole, taking
 * a lock, running a hook or writing the journal. The TUI's wizard shows it
 * before its confirmation; warnings go to `ctx.onEvent`.
 */
export async function previewRestore(ctx: EngineContext, selection: RestoreSelection, request: RestoreRequest): Promise<RestorePreview> {
  const steps: string[] = [];
  const quiet: EngineContext = {
    ...ctx,
    onEvent: (event) => {
      if (event.type === 'step' && event.component === selection.component) steps.push(event.message);
      else ctx.onEvent(event);
    },
  };
  const { chosen } = await chooseAndPreflight(quiet, selection, request);
  return { backupId: chosen.id, steps };
}

/**
 * Restores one backup through its strategy, between the plan's beforeRestore
 * and afterRestore hooks. afterRestore runs only after a restore whose checks
 * passed: services are not started on top of a failed restore. Then the
 * strategy may check the live target the hooks started (`checkLiveTarget`).
 */
export async function runRestore(ctx: EngineContext, selection: RestoreSelection, request: RestoreRequest): Promise<RestoreOutcome & { backupId: string }> {
  const { component } = selection;
  return inRun(ctx, { operation: 'restore', components: [component] }, async (ctx) => {
    const { plan, registry } = ctx;
    const started = Date.now();
    ctx.onEvent({ type: 'component.started', component, operation: 'restore', at: new Date().toISOString() });
    const finish = (exitCode: number) => ctx.onEvent({ type: 'component.finished', component, outcome: exitCode === 0 ? 'ok' : 'failed', durationMs: Date.now() - started });
    let reading: { release(): Promise<void> } | undefined;
    let proven: ProvenCopy | undefined;
    try {
      const prepared = await chooseAndPreflight(ctx, selection, request);
      const { entry, strategy, chosen } = prepared;
      request = prepared.request;
      const step = (message: string) => ctx.onEvent({ type: 'step', component, message });
      // A restore into a throwaway server it starts itself leaves production's services alone.
      const hooks = (strategy.runsHooks?.(request) ?? true) ? entry.hooks : { beforeRestore: [], afterRestore: [] };

      reading = await readingMark(ctx, chosen, 'restore');
      // Destructive steps come last: a copy is read whole and checked (and kept
      // in a local spool) before any hook stops a service or the target is touched.
      // Meanwhile the strategy may prepare what nobody sees yet (an empty staging database).
      const preparing = strategy.prepare?.(restoreContext(ctx, chosen, request));
      preparing?.catch(() => undefined); // its error is the restore's once proving is done
      let made: PreparedRestore | undefined;
      let sink: ContentSink | undefined;
      try {
        // A target nobody uses yet (an empty folder) may take content as it is proven, instead of the spool.
        sink = await strategy.sink?.(restoreContext(ctx, chosen, request));
        proven = await proveFor(ctx, chosen, strategy.restoreArtifacts?.(chosen.manifest, request), sink);
        made = await preparing;
        await strategy.review?.(restoreContext(ctx, chosen, request, proven));
        await runHooks({ name: 'beforeRestore', commands: hooks.beforeRestore, cwd: plan.dir, env: ctx.env, signal: ctx.signal, onOutput: step });
      } catch (err) {
        await discard(ctx, component, made ?? (await preparing?.catch(() => undefined)));
        await discard(ctx, component, sink && { discard: () => sink!.reset() });
        throw err;
      }
      const outcome = await strategy.restore({ ...restoreContext(ctx, chosen, request, proven), ...(made ? { prepared: made } : {}), ...(sink ? { sink } : {}) });
      ctx.onEvent({ type: 'restored', component, backupId: chosen.id, target: outcome.target, checks: outcome.checks });
      const failed = outcome.checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new LifeboatError(
          `restore of ${component} into ${outcome.target} does not match backup ${chosen.id}: ${failed
            .map((c) => `${c.name} expected ${c.expected}, got ${c.actual}`)
            .join('; ')}; ${outcome.untouched ? `${outcome.target} was left as it was, and the ` : ''}afterRestore hooks were not run`,
        );
      }
      const restoredAt = outcome.placedAt ?? new Date();
      await runHooks({ name: 'afterRestore', commands: hooks.afterRestore, cwd: plan.dir, env: ctx.env, onOutput: step });
      const afterRestoreHooks = hooks.afterRestore.length > 0;
      const live = await strategy.checkLiveTarget?.(restoreContext(ctx, chosen, request, proven), { outcome, restoredAt, afterRestoreHooks });
      if (live) {
        ctx.onEvent({ type: 'checked', component, backupId: chosen.id, target: live.target, checks: live.checks });
        const wrong = live.checks.filter((c) => !c.ok);
        if (wrong.length > 0) {
          throw new LifeboatError(
            `${live.target} does not match backup ${chosen.id}: ${wrong.map((c) => `${c.name} expected ${c.expected}, got ${c.actual}`).join('; ')}; ` +
              (afterRestoreHooks ? 'the afterRestore hooks have run, so it is up with data that does not match the backup' : 'it is up with data that does not match the backup'),
          );
        }
      }
      finish(ExitCode.ok);
      return {
        value: { ...outcome, backupId: chosen.id },
        exitCode: ExitCode.ok,
        journal: [
          {
            component,
            outcome: 'ok',
            backupId: chosen.id,
            durationMs: Date.now() - started,
            details: { target: outcome.target, checks: [...outcome.checks, ...(live?.checks ?? [])], ...(outcome.report ? { report: outcome.report.data } : {}) },
          },
        ],
      };
    } catch (err) {
      const exitCode = err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
      const message = ctx.signal?.aborted ? `restore of ${component} was cancelled` : describeError(err);
      ctx.onEvent({ type: 'failed', component, message, exitCode });
      finish(exitCode);
      throw err instanceof LifeboatError ? err : new LifeboatError(message, exitCode, { cause: err });
    } finally {
      await proven?.dispose();
      await reading?.release();
    }
  });
}

/** Undoes what `Strategy.prepare` made for a restore that did not start; a failure to is a warning. */
async function discard(ctx: EngineContext, component: string, prepared: PreparedRestore | undefined): Promise<void> {
  await prepared?.discard().catch((err: unknown) => ctx.onEvent({ type: 'warning', component, message: describeError(err) }));
}

/**
 * Marks the chosen backup as being read in every destination holding it, so
 * that a prune meanwhile (a timer, another host) keeps it. Never blocks.
 */
export function readingMark(ctx: EngineContext, chosen: CatalogEntry, operation: string): Promise<{ release(): Promise<void> }> {
  return registerReader(
    chosen.destinations.map((d) => ctx.registry.repository(ctx.plan, d)),
    {
      component: chosen.component,
      backupId: chosen.id,
      operation,
      ...(ctx.lockTiming ? { timing: ctx.lockTiming } : {}),
      onWarning: (message) => ctx.onEvent({ type: 'warning', component: chosen.component, message }),
    },
  );
}
