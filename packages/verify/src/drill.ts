import {
  ExitCode,
  LifeboatError,
  UsageError,
  describeError,
  formatDuration,
  inRun,
  proveFor,
  restoreContext,
  selectBackup,
  readingMark,
  runHealthCheck,
  type EngineContext,
  type ProvenCopy,
  type RestoreCheck,
  type RunComponentRecord,
} from '@lifeboat/core';

export interface DrillResult {
  component: string;
  ok: boolean;
  exitCode: number;
  backupId?: string;
  /** Where it was restored, without secrets. */
  target?: string;
  /** Restore + health check, measured: the RTO actually achieved. */
  rtoActualMs?: number;
  rtoTargetMs: number;
  checks: RestoreCheck[];
  health?: string;
  error?: string;
}

/**
 * The guide's monthly restore test, as a command: restore the latest (or a
 * given) backup into the component's drill target — never production —,
 * compare what the manifest recorded, run the health check, and record the
 * measured duration as the RTO actual. Exit 3 on any mismatch or failure.
 */
export async function runDrill(ctx: EngineContext, components: string[], opts: { backupId?: string } = {}): Promise<{ exitCode: number; results: DrillResult[] }> {
  return inRun(ctx, { operation: 'drill', components }, async (ctx) => {
    const results: DrillResult[] = [];
    for (const component of components) results.push(await drillComponent(ctx, component, opts.backupId));
    const exitCode = results.find((r) => r.exitCode === ExitCode.usage)?.exitCode ?? (results.every((r) => r.ok) ? ExitCode.ok : ExitCode.unhealthy);
    return { value: { exitCode, results }, exitCode, journal: results.map(journalEntry) };
  });
}

function journalEntry(r: DrillResult): RunComponentRecord {
  return {
    component: r.component,
    outcome: r.ok ? 'ok' : 'failed',
    backupId: r.backupId,
    durationMs: r.rtoActualMs ?? 0,
    ...(r.error ? { error: r.error } : {}),
    details: { rtoActualMs: r.rtoActualMs, rtoTargetMs: r.rtoTargetMs, target: r.target, checks: r.checks, health: r.health },
  };
}

async function drillComponent(ctx: EngineContext, component: string, backupId: string | undefined): Promise<DrillResult> {
  const started = Date.now();
  ctx.onEvent({ type: 'component.started', component, operation: 'drill', at: new Date().toISOString() });
  const entry = ctx.registry.component(ctx.plan, component);
  const result: DrillResult = { component, ok: false, exitCode: ExitCode.unhealthy, rtoTargetMs: entry.rto, checks: [] };
  let cleanup: (() => Promise<void>) | undefined;
  let reading: { release(): Promise<void> } | undefined;
  let proven: ProvenCopy | undefined;
  try {
    if (!entry.drill) throw new UsageError(`${ctx.plan.file}: components.${component} has no drill target; add drill: { target: ephemeral } (or a staging server)`);
    const strategy = ctx.registry.strategy(entry.type);
    if (!strategy.prepareDrill) throw new UsageError(`drills are not available for ${entry.type} components yet`);
    let chosen = await selectBackup(ctx, { component, backupId });
    result.backupId = chosen.id;
    reading = await readingMark(ctx, chosen, 'drill');

    const scratch = await strategy.prepareDrill(restoreContext(ctx, chosen, { clean: false, yes: false, options: {} }), entry.drill.target);
    cleanup = scratch.cleanup;
    result.target = scratch.description;
    if (strategy.chooseBackup) {
      // The drill's own request may need another backup (a PITR drill: the base backup the WAL archive reaches the end from).
      const picked = await selectBackup(ctx, { component, backupId }, { strategy, request: scratch.request });
      if (picked.id !== chosen.id) {
        await reading.release();
        chosen = picked;
        result.backupId = chosen.id;
        reading = await readingMark(ctx, chosen, 'drill');
      }
    }
    ctx.onEvent({ type: 'step', component, message: `drill: restoring backup ${chosen.id} into ${scratch.description}` });

    // The clock runs from the first byte read to a passing health check: what an outage would wait for.
    const clock = Date.now();
    const drillCtx: EngineContext = { ...ctx, env: { ...ctx.env, ...scratch.env } };
    // As a restore does: a copy is read whole and checked first, falling back from a damaged one; a throwaway
    // target the strategy can lay out as it is read (a PITR drill's data directory) takes it in the same pass.
    const sink = await strategy.sink?.(restoreContext(drillCtx, chosen, scratch.request));
    try {
      proven = await proveFor(ctx, chosen, strategy.restoreArtifacts?.(chosen.manifest, scratch.request), sink);
    } catch (err) {
      await sink?.reset();
      throw err;
    }
    const outcome = await strategy.restore({ ...restoreContext(drillCtx, chosen, scratch.request, proven), ...(sink ? { sink } : {}) });
    result.checks = outcome.checks;
    ctx.onEvent({ type: 'restored', component, backupId: chosen.id, target: outcome.target, checks: outcome.checks });
    const failed = outcome.checks.filter((c) => !c.ok);
    if (failed.length > 0) {
      throw new LifeboatError(`drill of ${component}: the restore does not match backup ${chosen.id}: ${failed.map((c) => `${c.name} expected ${c.expected}, got ${c.actual}`).join('; ')}`);
    }
    if (entry.drill.healthCheck) {
      result.health = await runHealthCheck(entry.drill.healthCheck, { env: drillCtx.env, cwd: ctx.plan.dir });
      ctx.onEvent({ type: 'verified', component, check: 'health check', detail: result.health });
    }
    result.rtoActualMs = Date.now() - clock;
    result.ok = true;
    result.exitCode = ExitCode.ok;
    const within = result.rtoActualMs <= entry.rto;
    ctx.onEvent({
      type: within ? 'verified' : 'warning',
      component,
      ...(within
        ? { check: 'RTO', detail: `restored in ${formatDuration(result.rtoActualMs)} (target ${formatDuration(entry.rto)})` }
        : { message: `drill restored in ${formatDuration(result.rtoActualMs)}, over the RTO target of ${formatDuration(entry.rto)}` }),
    } as Parameters<typeof ctx.onEvent>[0]);
  } catch (err) {
    result.error = describeError(err);
    result.exitCode = err instanceof UsageError ? ExitCode.usage : ExitCode.unhealthy;
    ctx.onEvent({ type: 'failed', component, message: result.error, exitCode: result.exitCode });
  } finally {
    await proven?.dispose();
    await reading?.release();
    if (cleanup) {
      await cleanup().catch((err: unknown) => ctx.onEvent({ type: 'warning', component, message: `could not clean up the drill target: ${describeError(err)}` }));
    }
  }
  ctx.onEvent({ type: 'component.finished', component, outcome: result.ok ? 'ok' : 'failed', durationMs: Date.now() - started });
  return result;
}
