#!/usr/bin/env node
import { main } from './main.js';
import { readEnvironment } from './environment.js';

// The AWS SDK prints a nine-line notice on Node 20 that its releases after
// January 2027 will need Node 22, the first time an S3 client is made. It is
// about upgrading the SDK, which Lifeboat pins (docs/decisions.md), not about
// this run, and it would land in the middle of a backup's output; set the
// variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// First SIGINT/SIGTERM cancels the run (which then removes what it wrote);
// a second one leaves at once.
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write(`lifeboat: ${signal} received; cancelling and cleaning up (again to quit now)\n`);
  controller.abort(new Error(`cancelled by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await main(process.argv.slice(2), readEnvironment(), { stdout: process.stdout, stderr: process.stderr }, controller.signal);
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
