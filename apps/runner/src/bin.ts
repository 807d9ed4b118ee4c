#!/usr/bin/env node
import { main } from './main.js';
import { readEnvironment } from './environment.js';

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
