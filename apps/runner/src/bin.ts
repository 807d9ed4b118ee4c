#!/usr/bin/env node
import { main } from './main.js';
import { readEnvironment } from './environment.js';
import { guardOutput } from './output/closed-output.js';
import { cancelOnSignals } from './process/signals.js';

// The AWS SDK prints a nine-line notice on Node 20 that its releases after
// January 2027 will need Node 22, the first time an S3 client is made. It is
// about upgrading the SDK, which Lifeboat pins (docs/decisions.md), not about
// this run, and it would land in the middle of a backup's output; set the
// variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const output = guardOutput({ stdout: process.stdout, stderr: process.stderr });
const controller = new AbortController();
const stopHandling = cancelOnSignals(controller, process.stderr);

const exitCode = await main(process.argv.slice(2), readEnvironment(), { stdout: process.stdout, stderr: process.stderr }, controller.signal);
process.exitCode = exitCode === 0 && output.failed() ? 1 : exitCode;
stopHandling();
