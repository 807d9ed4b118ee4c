import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { LifeboatError, describeError, formatBytes, locatePlan } from '@lifeboat/core/lean';
import { parseWalFileName, runningPusher, segmentFile, spoolBacklog, spoolWalFile, type WalSpool } from '@lifeboat/strategies/wal-spool';
import type { Environment } from './environment.js';
import { leanWalArgs } from './lean-args.js';
import { VERSION } from './version.js';
import { startPusher } from './wal-pusher-start.js';

/**
 * `wal push` with pitr.async runs once per WAL segment, so its start-up is
 * the archiver's pace. Loading the plan (yaml, zod, every strategy and
 * storage type) costs several times the spooling itself. So a full `wal push`
 * that spooled a file remembers the validated spool settings under a key of
 * the plan's path and exact text (and this version); the next push with the
 * same plan text takes them from there and loads nothing else. Any other
 * plan text, a history or backup file, or anything unusual goes the full way.
 */

interface Io {
  stderr: NodeJS.WritableStream;
}

export interface LeanWalPushArgs {
  plan?: string;
  component: string;
  path: string;
}

/** `[--plan FILE | -p FILE | --plan=FILE] wal push <component> <path>`, else undefined (main parses it). */
export function leanWalPushArgs(argv: string[]): LeanWalPushArgs | undefined {
  const parsed = leanWalArgs(argv, 'push', 2);
  return parsed && { ...(parsed.plan !== undefined ? { plan: parsed.plan } : {}), component: parsed.operands[0]!, path: parsed.operands[1]! };
}

/** The plan the full CLI would load (`locatePlan`, /etc/lifeboat/lifeboat.yaml included), as an absolute path. */
export function planPath(flag: string | undefined, environment: Environment): string {
  return resolve(environment.cwd, locatePlan({ ...(flag !== undefined ? { flag } : {}), env: { LIFEBOAT_PLAN: environment.planFromEnv }, cwd: environment.cwd, system: environment.systemPlan }));
}

function cacheFile(environment: Environment, planFile: string, component: string, text: string): string {
  const key = createHash('sha256').update(`${VERSION}\0${planFile}\0${component}\0${text}`).digest('hex').slice(0, 32);
  return join(environment.lockDir, `wal-spool-${key}.json`);
}

/** Called by the full `wal push` once it has spooled with these settings from this exact plan text. */
export async function rememberSpool(environment: Environment, planFlag: string | undefined, text: string, spool: WalSpool): Promise<void> {
  const planFile = planPath(planFlag, environment);
  const file = cacheFile(environment, planFile, spool.component, text);
  await mkdir(environment.lockDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ planFile, spool }) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

async function rememberedSpool(environment: Environment, planFile: string, component: string, text: string): Promise<WalSpool | undefined> {
  const file = cacheFile(environment, planFile, component, text);
  try {
    // Only a file this user wrote: the lock folder may be in /tmp.
    if ((await stat(file)).uid !== (process.getuid?.() ?? 0)) return undefined;
    const { planFile: remembered, spool } = JSON.parse(await readFile(file, 'utf8')) as { planFile?: string; spool?: Partial<WalSpool> };
    if (remembered !== planFile || !spool || spool.component !== component || typeof spool.dir !== 'string' || typeof spool.maxBytes !== 'number' || typeof spool.planFile !== 'string') {
      return undefined;
    }
    return spool as WalSpool;
  } catch {
    return undefined;
  }
}

/**
 * The lean `wal push`: an exit code, or undefined when this push must go the
 * full way (nothing has been written then).
 */
export async function leanWalPush(args: LeanWalPushArgs, environment: Environment, io: Io): Promise<number | undefined> {
  if (environment.invalid) return undefined;
  const name = parseWalFileName(basename(args.path));
  if (!name || (name.kind !== 'segment' && name.kind !== 'partial')) return undefined;
  const planFile = planPath(args.plan, environment);
  const text = await readFile(planFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const spool = await rememberedSpool(environment, planFile, args.component, text);
  if (!spool) return undefined;
  try {
    const path = resolve(environment.cwd, args.path);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LifeboatError(`cannot read ${args.path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
    const file = segmentFile(name, content, args.path);
    await spoolAndStart({ spool, file, environment, planFile, io });
    return 0;
  } catch (err) {
    io.stderr.write(`lifeboat: ${describeError(err)}\n`);
    return err instanceof LifeboatError ? err.exitCode : 1;
  }
}

/**
 * Both paths of an async `wal push`: spool (durable before it returns), start
 * a pusher when none runs, and repeat the pusher's trouble on stderr — which
 * PostgreSQL writes to its log — so a stuck pusher is seen where people look.
 */
export async function spoolAndStart(opts: {
  spool: WalSpool;
  file: Parameters<typeof spoolWalFile>[1];
  environment: Environment;
  planFile: string;
  io: Io;
}): Promise<void> {
  const { spool, file, environment, io } = opts;
  const result = await spoolWalFile(spool, file);
  if (result.outcome === 'already-spooled') io.stderr.write(`lifeboat: wal push ${file.name}: already in the spool with the same content\n`);
  const warn = (message: string) => io.stderr.write(`lifeboat: warning: ${message}\n`);
  if (!(await runningPusher(spool))) startPusher({ self: environment.selfCommand, env: environment.env, planFile: opts.planFile, spool, warn });
  const backlog = await spoolBacklog(spool, new Date());
  if (backlog.lastError) {
    warn(
      `the WAL pusher of ${spool.component} cannot deliver ${backlog.lastError.file} (attempt ${backlog.lastError.attempts}, ${backlog.lastError.at}): ${backlog.lastError.message}; ${backlog.files} file(s), ${formatBytes(backlog.bytes)} wait in ${backlog.spool}`,
    );
  }
}
