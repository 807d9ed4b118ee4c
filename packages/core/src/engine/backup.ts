import { ExitCode, LifeboatError, LockHeldError, ReadBackUnavailableError, describeError, worstExit } from '../errors.js';
import type { StoredArtifact } from '../events.js';
import { fanout } from '../pipeline/fanout.js';
import { verifiedContent } from '../pipeline/verified-read.js';
import { componentHash } from '../plan/load.js';
import { runHooks } from '../process/hooks.js';
import { newId } from '../repository/ids.js';
import { MANIFEST_FORMAT, manifestBytes, type Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { isUnchanged, unchanged, type BackupContext } from '../strategy.js';
import { readCatalog } from './catalog.js';
import { identitiesFor, nowOf, secretsFor, type EngineContext } from './context.js';
import { acquireLock } from './lock.js';
import { acquireRepositoryLocks, type RepositoryLocks } from './repository-lock.js';
import { inRun } from './journal-run.js';

export interface ComponentOutcome {
  component: string;
  /** `unchanged`: the source was checked and had nothing new (on-change schedules); no backup written. */
  outcome: 'ok' | 'unchanged' | 'failed' | 'locked';
  exitCode: number;
  backupId?: string;
  error?: string;
  durationMs?: number;
}

export interface RunOutcome {
  exitCode: number;
  results: ComponentOutcome[];
}

/**
 * Backs up each component in turn. A backup exists only when every artifact is
 * stored in every destination, its size checked there, and the manifest
 * written last; on any failure everything written for it is removed.
 */
export async function runBackup(ctx: EngineContext, components: string[]): Promise<RunOutcome> {
  return inRun(ctx, { operation: 'backup', components }, async (ctx) => {
    const results: ComponentOutcome[] = [];
    for (const component of components) {
      if (ctx.signal?.aborted) break;
      const componentStarted = Date.now();
      results.push({ ...(await backupComponent(ctx, component)), durationMs: Date.now() - componentStarted });
    }
    const exitCode = worstExit(results.map((r) => r.exitCode));
    return {
      value: { exitCode, results },
      exitCode,
      journal: results.map(({ component, outcome, backupId, error, durationMs }) => ({ component, outcome, backupId, error, durationMs: durationMs ?? 0 })),
    };
  });
}

async function backupComponent(ctx: EngineContext, component: string): Promise<ComponentOutcome> {
  const { plan, registry } = ctx;
  const started = Date.now();
  ctx.onEvent({ type: 'component.started', component, operation: 'backup', at: new Date().toISOString() });
  const finish = (outcome: ComponentOutcome): ComponentOutcome => {
    const shown = outcome.outcome === 'ok' || outcome.outcome === 'unchanged' ? outcome.outcome : 'failed';
    ctx.onEvent({ type: 'component.finished', component, outcome: shown, durationMs: Date.now() - started });
    return outcome;
  };

  let lock;
  try {
    lock = acquireLock(ctx.lockDir, `${plan.name}.${component}`, 'backup');
  } catch (err) {
    const exitCode = err instanceof LockHeldError ? ExitCode.locked : ExitCode.failed;
    ctx.onEvent({ type: 'failed', component, message: describeError(err), exitCode });
    return finish({ component, outcome: exitCode === ExitCode.locked ? 'locked' : 'failed', exitCode, error: describeError(err) });
  }

  const entry = registry.component(plan, component);
  const startedAt = nowOf(ctx);
  const backupId = newId(startedAt);
  let repositories: Repository[] = [];
  let locks: RepositoryLocks | undefined;
  try {
    const strategy = registry.strategy(entry.type);
    repositories = entry.destinations.map((d) => registry.repository(plan, d));
    let live = [...repositories];
    const failedDestinations: Array<{ name: string; error: string }> = [];
    for (const repository of repositories) {
      ctx.onEvent({ type: 'step', component, message: `opening ${repository.description}` });
      try {
        await repository.answered(repository.ensureMarker(plan.name, startedAt));
      } catch (err) {
        if (entry.require !== 'any' || live.length === 1) throw err;
        const error = `cannot open ${repository.description}: ${describeError(err)}`;
        failedDestinations.push({ name: repository.name, error });
        live = live.filter((r) => r !== repository);
        ctx.onEvent({ type: 'warning', component, message: `${error}; continuing without it (require: any)` });
      }
    }
    locks = await acquireRepositoryLocks(live, {
      plan: plan.name,
      component,
      operation: 'backup',
      ...(ctx.lockTiming ? { timing: ctx.lockTiming } : {}),
      onWarning: (message) => ctx.onEvent({ type: 'warning', component, message }),
      // require: any — a destination whose lock cannot be written drops out like one that cannot be opened.
      skipUnreachable: entry.require === 'any',
      onSkipped: (repository, err) => {
        const error = `cannot lock ${repository.description}: ${describeError(err)}`;
        failedDestinations.push({ name: repository.name, error });
        live = live.filter((r) => r !== repository);
        ctx.onEvent({ type: 'warning', component, message: `${error}; continuing without it (require: any)` });
      },
    });
    if (live.length === 0) throw new LifeboatError(`no destination of ${component} could be locked`);
    const lost = locks.lost;
    await runHooks({ name: 'beforeBackup', commands: entry.hooks.beforeBackup, cwd: plan.dir, env: ctx.env, signal: ctx.signal, onOutput: (m) => ctx.onEvent({ type: 'step', component, message: m }) });

    const artifacts: StoredArtifact[] = [];
    // A lost repository lock stops the run like a cancel: nothing is committed.
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, lost]) : lost;
    const recipients = plan.encryption?.recipients ?? [];
    const identities = identitiesFor(ctx);
    // `destinations` of the previous backup: where its copies are found now, not where they were written.
    const last =
      entry.schedule.kind === 'on-change'
        ? (await readCatalog(plan, registry, { component, onWarning: (message) => ctx.onEvent({ type: 'warning', component, message }) })).at(-1)
        : undefined;
    const previous = last && { ...last.manifest, destinations: last.destinations };
    const backupCtx: BackupContext<unknown> = {
      component,
      backupId,
      planName: plan.name,
      config: entry,
      secrets: secretsFor(ctx),
      planDir: plan.dir,
      env: ctx.env,
      signal,
      step: (message) => ctx.onEvent({ type: 'step', component, message }),
      warn: (message) => ctx.onEvent({ type: 'warning', component, message }),
      previous,
      unchanged,
      encrypted: recipients.length > 0,
      storeArtifact: async (logical, body, opts) => {
        // Encrypted artifacts carry age's suffix, so `age -d` is the obvious next step for a person holding one.
        const name = recipients.length > 0 ? `${logical}.age` : logical;
        if (artifacts.some((a) => a.name === name)) throw new LifeboatError(`artifact ${logical} was stored twice in one backup`);
        const { bytes, sha256, failed } = await fanout(
          body,
          live.map((r) => ({ name: r.name, adapter: r.adapter, key: r.artifactKey(component, backupId, name), stallTimeoutMs: r.stallTimeoutMs })),
          {
            compress: opts.compress,
            ...(opts.compressLevel === undefined ? {} : { compressLevel: opts.compressLevel }),
            encryptTo: recipients,
            tolerateFailures: entry.require === 'any',
            signal,
            onProgress: (stored, destinations) => ctx.onEvent({ type: 'progress', component, artifact: name, bytes: stored, total: opts.expectedBytes, destinations }),
          },
        );
        const artifact: StoredArtifact = {
          name,
          bytes,
          sha256,
          compression: opts.compress ? 'gzip' : 'none',
          ...(recipients.length > 0 ? { encryption: 'age' as const } : {}),
          format: opts.format,
        };
        for (const failure of failed) {
          // require: any — this destination drops out of the backup; what it holds of it is removed.
          failedDestinations.push(failure);
          ctx.onEvent({ type: 'warning', component, message: `${failure.error}; continuing without it (require: any)` });
          const gone = live.find((r) => r.name === failure.name)!;
          live = live.filter((r) => r !== gone);
          await removePartial(ctx, component, gone, backupId);
          await locks?.drop(gone.name);
        }
        artifacts.push(artifact);
        ctx.onEvent({ type: 'artifact.stored', component, artifact, destinations: live.map((r) => r.name) });
        return artifact;
      },
      readArtifact: async (logical) => {
        const artifact = artifacts.find((a) => a.name === logical || a.name === `${logical}.age`);
        if (!artifact) throw new LifeboatError(`artifact ${logical} has not been stored in this backup`);
        if (artifact.encryption === 'age' && !identities) throw new ReadBackUnavailableError(artifact.name);
        const repository = live[0]!;
        return verifiedContent(await repository.adapter.get(repository.artifactKey(component, backupId, artifact.name)), artifact, repository.description, {
          identities,
        });
      },
    };

    const facts = await strategy.backup(backupCtx);
    if (lost.aborted) throw lost.reason;
    if (isUnchanged(facts)) {
      if (artifacts.length > 0) throw new LifeboatError(`the ${entry.type} strategy stored artifacts, then said nothing changed`);
      ctx.onEvent({ type: 'unchanged', component, reason: facts.reason, previousId: previous?.id });
      return finish({ component, outcome: 'unchanged', exitCode: ExitCode.ok, backupId: previous?.id });
    }
    if (artifacts.length === 0) throw new LifeboatError(`the ${entry.type} strategy stored no artifact`);

    for (const repository of live) {
      for (const artifact of artifacts) {
        const object = await repository.answered(repository.adapter.head(repository.artifactKey(component, backupId, artifact.name)));
        if (!object || object.bytes !== artifact.bytes) {
          throw new LifeboatError(
            `${artifact.name} in ${repository.description} has ${object ? `${object.bytes} bytes` : 'vanished'} right after it was written (expected ${artifact.bytes} bytes)`,
          );
        }
      }
      ctx.onEvent({ type: 'verified', component, check: `sizes in ${repository.name}`, detail: `${artifacts.length} artifact(s)` });
    }

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id: backupId,
      component,
      kind: entry.type,
      plan: { name: plan.name, componentHash: componentHash(plan, component) },
      startedAt: startedAt.toISOString(),
      finishedAt: nowOf(ctx).toISOString(),
      tool: { name: 'lifeboat', version: ctx.toolVersion },
      destinations: live.map((r) => r.name),
      ...(failedDestinations.length > 0 ? { failedDestinations } : {}),
      artifacts,
      facts,
    };
    // The manifest goes last, destination by destination: until it is written
    // everywhere the backup is rolled back below.
    for (const repository of live) {
      if (lost.aborted) throw lost.reason;
      await repository.answered(repository.writeManifest(manifest));
    }
    ctx.onEvent({ type: 'committed', component, backupId, destinations: manifest.destinations, bytes: manifestBytes(manifest) });

    try {
      await runHooks({ name: 'afterBackup', commands: entry.hooks.afterBackup, cwd: plan.dir, env: ctx.env, onOutput: (m) => ctx.onEvent({ type: 'step', component, message: m }) });
    } catch (err) {
      ctx.onEvent({ type: 'warning', component, message: `the backup is committed, but ${describeError(err)}` });
    }
    return finish({ component, outcome: 'ok', exitCode: ExitCode.ok, backupId });
  } catch (err) {
    const cancelled = ctx.signal?.aborted === true;
    const cause = locks?.lost.aborted ? locks.lost.reason : err;
    if (err instanceof LockHeldError) {
      ctx.onEvent({ type: 'failed', component, message: err.message, exitCode: ExitCode.locked });
      return finish({ component, outcome: 'locked', exitCode: ExitCode.locked, error: err.message });
    }
    const message = cancelled ? `backup of ${component} was cancelled` : `backup of ${component} failed: ${describeError(cause)}`;
    for (const repository of repositories) await removePartial(ctx, component, repository, backupId);
    const exitCode = err instanceof LifeboatError && err.exitCode !== ExitCode.ok ? err.exitCode : ExitCode.failed;
    ctx.onEvent({ type: 'failed', component, message, exitCode });
    return finish({ component, outcome: 'failed', exitCode, error: message });
  } finally {
    await locks?.release();
    lock.release();
  }
}

/**
 * Removes what a backup that will not commit wrote to one destination. One
 * that does not answer within its stallTimeout is left as it is, with a
 * warning: the run must end, and prune removes the debris later.
 */
async function removePartial(ctx: EngineContext, component: string, repository: Repository, backupId: string): Promise<void> {
  try {
    await repository.answered(repository.removeBackup(component, backupId));
  } catch (err) {
    ctx.onEvent({
      type: 'warning',
      component,
      message: `could not remove the partial backup ${backupId} from ${repository.description} (${describeError(err)}); it has no manifest, so it does not count as a backup, and prune will remove it`,
    });
  }
}
