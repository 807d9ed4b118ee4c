import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ExitCode, LockHeldError, UsageError, describeError, formatBytes, formatDuration, type EngineContext } from '@lifeboat/core';
import {
  parseWalFileName,
  prefetchFolderFor,
  readWalFile,
  runWalPrefetcher,
  runWalPusher,
  segmentBytesOf,
  walGet,
  walPush,
  walSpool,
  walSpoolBacklog,
  walPrefetchCount,
  walVerify,
  type WalSpool,
  type WalSpoolBacklog,
  type WalVerifyReport,
} from '@lifeboat/strategies/wal';
import type { CommandContext } from '../main.js';
import { moveWindow } from '../wal-get-lean.js';
import { rememberSpool, spoolAndStart } from '../wal-push-lean.js';

/**
 * restore_command's exit for anything but "found" and "not found": PostgreSQL
 * aborts recovery on a status above 125 instead of taking it as the end of the
 * archive — an unreachable destination or a damaged copy must not end a
 * recovery early and promote a server that is missing data.
 */
export const WAL_GET_FAILED = 126;

/** WAL commands print one line of their own; the engine's warnings go to stderr (PostgreSQL's log). */
export async function walEngine(ctx: CommandContext): Promise<EngineContext> {
  const plan = await ctx.loadPlan();
  return { ...ctx.engine(plan), onEvent: () => undefined };
}

const warnTo = (ctx: CommandContext) => (message: string) => ctx.io.stderr.write(`lifeboat: warning: ${message}\n`);

export async function walPushCommand(ctx: CommandContext, component: string, path: string): Promise<number> {
  // Read before the plan is validated, compared after: only a text known to be the validated one is remembered.
  const text = await readFile(ctx.planFile(), 'utf8').catch(() => undefined);
  const engine = await walEngine(ctx);
  const spool = walSpool(engine, component);
  if (spool) return spoolPush(ctx, engine, spool, path, text);
  const result = await walPush(engine, component, path, ctx.environment.cwd, warnTo(ctx));
  // Silent when it simply stored the file, like cp: PostgreSQL logs archive_command's stderr, once per segment.
  if (result.alreadyArchived.length > 0) {
    ctx.io.stderr.write(`lifeboat: wal push ${result.file}: already archived with the same content in ${result.alreadyArchived.join(', ')}\n`);
  }
  return ExitCode.ok;
}

/**
 * pitr.async: exit 0 once the file is durable in the spool; the pusher
 * (started here when none runs) stores it in the destinations. The spool
 * settings are then remembered for the lean path (wal-push-lean.ts).
 */
async function spoolPush(ctx: CommandContext, engine: EngineContext, spool: WalSpool, path: string, text: string | undefined): Promise<number> {
  const file = await readWalFile(path, ctx.environment.cwd);
  await spoolAndStart({ spool, file, environment: ctx.environment, planFile: resolve(ctx.environment.cwd, engine.plan.file), io: ctx.io });
  const now = await readFile(ctx.planFile(), 'utf8').catch(() => undefined);
  if (text !== undefined && text === now) await rememberSpool(ctx.environment, ctx.planFlag, text, spool).catch(() => undefined);
  return ExitCode.ok;
}

export async function walPusherCommand(ctx: CommandContext, component: string, opts: { idleExit: number; forever?: boolean; exitIfRunning?: boolean }): Promise<number> {
  const engine = await walEngine(ctx);
  const log = (line: string) => ctx.io.stderr.write(`${new Date().toISOString()} lifeboat wal pusher ${component}: ${line}\n`);
  try {
    const result = await runWalPusher(engine, component, { ...(opts.forever ? {} : { idleExitMs: opts.idleExit }), log });
    if (result.delivered > 0 || result.failures > 0 || result.stopped !== 'idle') {
      log(`stopped (${result.stopped}): ${result.delivered} file(s) delivered, ${result.failures} failed attempt(s)`);
    }
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof LockHeldError && opts.exitIfRunning) return ExitCode.ok;
    throw err;
  }
}

export async function walBacklogCommand(ctx: CommandContext, component: string, opts: { json?: boolean }): Promise<number> {
  const engine = await walEngine(ctx);
  const backlog = await walSpoolBacklog(engine, component);
  if (!backlog) {
    ctx.io.stderr.write(`lifeboat: ${component} archives WAL without a spool (no pitr.async), so it has no backlog: each wal push stores its file itself\n`);
    return ExitCode.usage;
  }
  ctx.io.stdout.write(opts.json ? JSON.stringify(backlog, null, 2) + '\n' : describeBacklog(backlog));
  return backlog.lastError ? ExitCode.unhealthy : ExitCode.ok;
}

function describeBacklog(b: WalSpoolBacklog): string {
  const lines = [
    `${b.component}: ${b.files} WAL file(s), ${formatBytes(b.bytes)} of ${formatBytes(b.maxBytes)} in ${b.spool}${b.oldest ? `; oldest ${b.oldest.file}, waiting ${formatDuration(b.oldest.ageSeconds * 1000)}` : ''}`,
    `  pusher: ${b.pusher.running ? `running (pid ${b.pusher.pid}${b.pusher.since ? `, since ${b.pusher.since}` : ''})` : 'not running'}${b.lastDelivered ? `; last delivered ${b.lastDelivered.file} at ${b.lastDelivered.at}` : ''}`,
  ];
  if (b.lastError) lines.push(`  FAILING: ${b.failing} file(s); last: ${b.lastError.file} (attempt ${b.lastError.attempts}, ${b.lastError.at}): ${b.lastError.message}`);
  return lines.join('\n') + '\n';
}

export async function walGetCommand(ctx: CommandContext, component: string, file: string, destination: string): Promise<number> {
  try {
    const engine = await walEngine(ctx);
    const target = isAbsolute(destination) ? destination : resolve(ctx.environment.cwd, destination);
    const result = await walGet(engine, component, file, target, warnTo(ctx));
    if (result.outcome === 'not-found') {
      ctx.io.stderr.write(`lifeboat: wal get ${file}: not in the archive of ${component}\n`);
      return ExitCode.failed;
    }
    ctx.io.stderr.write(`lifeboat: wal get ${file}: ${result.bytes} bytes from ${result.from}, sha256 checked\n`);
    // The file is in place: prefetching is a bonus and never fails the get.
    await startPrefetch(ctx, engine, component, file, target).catch((err) => warnTo(ctx)(`cannot prefetch after ${file}: ${describeError(err)}`));
    return ExitCode.ok;
  } catch (err) {
    ctx.io.stderr.write(`lifeboat: wal get ${file} failed: ${describeError(err)}\n`);
    return WAL_GET_FAILED;
  }
}

/** After a segment was fetched into a data directory's pg_wal: the prefetcher fetches the next pitr.prefetch ones (wal-get-lean.ts). */
async function startPrefetch(ctx: CommandContext, engine: EngineContext, component: string, file: string, target: string): Promise<void> {
  const name = parseWalFileName(file);
  if (!name || walPrefetchCount(engine, component) === 0) return;
  const folder = await prefetchFolderFor(component, target, name).catch(() => undefined);
  if (!folder) return;
  const segmentBytes = await segmentBytesOf(target).catch(() => undefined);
  await moveWindow({ folder, file, segmentBytes, planFile: resolve(ctx.environment.cwd, engine.plan.file), environment: ctx.environment, io: ctx.io });
}

export async function walPrefetchCommand(ctx: CommandContext, component: string, opts: { dataDir: string; timeline: string }): Promise<number> {
  if (!/^[0-9A-F]{8}$/.test(opts.timeline)) throw new UsageError(`--timeline ${opts.timeline}: expected 8 hex digits as in WAL file names, such as 00000001`);
  const engine = await walEngine(ctx);
  const result = await runWalPrefetcher(engine, component, resolve(ctx.environment.cwd, opts.dataDir), opts.timeline);
  if (result.fetched > 0 || result.stopped !== 'idle') ctx.io.stderr.write(`lifeboat: wal prefetch ${component}: ${result.fetched} file(s) fetched; stopped (${result.stopped})\n`);
  return ExitCode.ok;
}

export async function walVerifyCommand(ctx: CommandContext, component: string, opts: { json?: boolean }): Promise<number> {
  const engine = await walEngine(ctx);
  const report = await walVerify(engine, component);
  ctx.io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : describeReport(report));
  return report.ok ? ExitCode.ok : ExitCode.unhealthy;
}

function describeReport(report: WalVerifyReport): string {
  const lines: string[] = [];
  for (const d of report.destinations) {
    lines.push(`${report.component} in ${d.destination}${d.systemIdentifier ? ` (cluster ${d.systemIdentifier})` : ''}: ${d.ok ? 'complete' : 'INCOMPLETE'}`);
    for (const t of d.timelines) {
      const range = t.first ? `${t.first} … ${t.last}` : 'no segments';
      const chain = t.parents?.map((p) => `timeline ${p.timeline} until ${p.switchLsn}`).join(', ');
      const extra = [t.history ? `history archived${chain ? ` (${chain})` : ''}` : t.timeline > 1 ? 'history MISSING' : '', t.backupFiles.length ? `${t.backupFiles.length} backup file(s)` : '', t.partials.length ? `partial ${t.partials.join(', ')}` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(`  timeline ${t.timeline}: ${t.segments} segment(s), ${range}${t.missing.length ? `, ${t.missing.length} missing` : ''}${extra ? `; ${extra}` : ''}`);
    }
    for (const problem of d.problems) lines.push(`  problem: ${problem}`);
  }
  return lines.join('\n') + '\n';
}
