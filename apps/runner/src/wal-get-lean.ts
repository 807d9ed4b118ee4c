import { spawn } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { describeError } from '@lifeboat/core/lean';
import { parseWalFileName, prefetchFolderFor, prefetcherEnv, recordPosition, runningPrefetcher, takePrefetched, type PrefetchFolder } from '@lifeboat/strategies/wal-spool';
import type { Environment } from './environment.js';
import { leanWalArgs } from './lean-args.js';
import { planPath } from './wal-push-lean.js';

/**
 * `wal get` runs once per WAL segment recovery replays, so its start-up is
 * recovery's pace. A segment the prefetcher (`wal prefetch`) has already
 * fetched and verified is handed over from the prefetch folder by this path,
 * which loads neither the CLI, the plan schema nor a storage SDK: the file's
 * sha256 (checked again here) is in its name. Anything else — not
 * prefetched, damaged, a history file, odd arguments — goes the full way,
 * which fetches from the destinations.
 */

interface Io {
  stderr: NodeJS.WritableStream;
}

export interface LeanWalGetArgs {
  plan?: string;
  component: string;
  file: string;
  destination: string;
}

/** `[--plan FILE | -p FILE | --plan=FILE] wal get <component> <file> <path>`, else undefined (main parses it). */
export function leanWalGetArgs(argv: string[]): LeanWalGetArgs | undefined {
  const parsed = leanWalArgs(argv, 'get', 3);
  return parsed && { ...(parsed.plan !== undefined ? { plan: parsed.plan } : {}), component: parsed.operands[0]!, file: parsed.operands[1]!, destination: parsed.operands[2]! };
}

/** The lean `wal get`: exit 0 when a prefetched file was handed over, else undefined (the full path fetches it). */
export async function leanWalGet(args: LeanWalGetArgs, environment: Environment, io: Io): Promise<number | undefined> {
  if (environment.invalid) return undefined;
  const name = parseWalFileName(args.file);
  if (!name || name.kind !== 'segment') return undefined;
  const destination = resolve(environment.cwd, args.destination);
  try {
    const folder = await prefetchFolderFor(args.component, destination, name);
    if (!folder) return undefined;
    const taken = await takePrefetched(folder, name.name, destination);
    if (taken.outcome === 'damaged') io.stderr.write(`lifeboat: warning: ${taken.problem}; fetching it from the destinations\n`);
    if (taken.outcome !== 'taken') return undefined;
    io.stderr.write(`lifeboat: wal get ${name.name}: ${taken.bytes} bytes from the prefetch folder, sha256 checked\n`);
    await moveWindow({ folder, file: name.name, segmentBytes: taken.segmentBytes, planFile: planPath(args.plan, environment), environment, io });
    return 0;
  } catch (err) {
    // Only the prefetch folder was touched: the full path tries again from the destinations.
    io.stderr.write(`lifeboat: warning: the prefetch folder: ${describeError(err)}; fetching ${args.file} from the destinations\n`);
    return undefined;
  }
}

/**
 * After recovery got `file`: the window starts after it (position.json), what
 * it passed is deleted, and a prefetcher is started when none runs. Never
 * fails the `wal get`: the file is already in place.
 */
export async function moveWindow(opts: { folder: PrefetchFolder; file: string; segmentBytes: number | undefined; planFile: string; environment: Environment; io: Io }): Promise<void> {
  const { folder, environment, io } = opts;
  const warn = (message: string) => io.stderr.write(`lifeboat: warning: ${message}\n`);
  try {
    if (!opts.segmentBytes) return;
    await recordPosition(folder, { file: opts.file, segmentBytes: opts.segmentBytes });
    if ((await runningPrefetcher(folder.dir)) !== undefined) return;
    const self = environment.selfCommand;
    if (!self) return;
    const [command, ...prefix] = self;
    const child = spawn(command!, [...prefix, '--plan', opts.planFile, 'wal', 'prefetch', folder.component, '--data-dir', folder.dataDir, '--timeline', folder.timelineHex], {
      cwd: folder.dataDir,
      env: prefetcherEnv(environment.env),
      // Its own session: PostgreSQL's shutdown does not wait for it, and it stops by itself when the server has gone.
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', (err) => warn(`cannot start the WAL prefetcher: ${err.message}`));
    child.unref();
  } catch (err) {
    warn(`cannot prefetch after ${basename(opts.file)}: ${describeError(err)}`);
  }
}
