#!/usr/bin/env node
import { readEnvironment } from './environment.js';
import { guardOutput } from './output/closed-output.js';
import { cancelOnSignals } from './process/signals.js';

// The AWS SDK prints a nine-line notice on Node 20 that its releases after
// January 2027 will need Node 22, the first time an S3 client is made. It is
// about upgrading the SDK, which Lifeboat pins (docs/decisions.md), not about
// this run, and it would land in the middle of a backup's output; set the
// variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The release's launcher (bin/lifeboat) tunes glibc's allocator for this process alone: what Lifeboat starts
// (PostgreSQL, pg_restore, hooks) gets the caller's GLIBC_TUNABLES back, or none.
const callerTunables = process.env.LIFEBOAT_CALLER_GLIBC_TUNABLES;
if (callerTunables !== undefined) {
  delete process.env.LIFEBOAT_CALLER_GLIBC_TUNABLES;
  if (callerTunables) process.env.GLIBC_TUNABLES = callerTunables;
  else delete process.env.GLIBC_TUNABLES;
}

const output = guardOutput({ stdout: process.stdout, stderr: process.stderr });
const controller = new AbortController();
const stopHandling = cancelOnSignals(controller, process.stderr);

const argv = process.argv.slice(2);
const environment = readEnvironment();
// archive_command runs `wal push` once per segment: with pitr.async it takes a lean path that loads
// neither the CLI nor the plan schema (wal-push-lean.ts), and falls back to main for anything else.
// restore_command's `wal get` of a prefetched segment does the same (wal-get-lean.ts).
const leanExit = await lean(argv);
const exitCode = leanExit ?? (await (await import('./main.js')).main(argv, environment, { stdout: process.stdout, stderr: process.stderr }, controller.signal));
process.exitCode = exitCode === 0 && output.failed() ? 1 : exitCode;
stopHandling();

async function lean(args: string[]): Promise<number | undefined> {
  const io = { stderr: process.stderr };
  // `--version` needs none of the CLI: not the commands, kinds and schemas main loads (a third of a second or more).
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    const { VERSION_TEXT } = await import('./version.js');
    process.stdout.write(`${VERSION_TEXT}\n`);
    return 0;
  }
  if (args.includes('push')) {
    const { leanWalPushArgs, leanWalPush } = await import('./wal-push-lean.js');
    const parsed = leanWalPushArgs(args);
    if (parsed) return leanWalPush(parsed, environment, io);
  }
  if (args.includes('get')) {
    const { leanWalGetArgs, leanWalGet } = await import('./wal-get-lean.js');
    const parsed = leanWalGetArgs(args);
    return parsed ? leanWalGet(parsed, environment, io) : undefined;
  }
  return undefined;
}
