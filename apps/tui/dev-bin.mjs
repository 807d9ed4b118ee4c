// Validation shim only (deleted before hand-off): what `lifeboat --plan P tui` will do once wired.
import { loadPlan, Registry } from '@lifeboat/core';
import { fsStorageType, s3StorageType } from '@lifeboat/storage';
import { strategies } from '@lifeboat/strategies';
import { runTui, tuiRefusal } from './dist/index.js';
const planFile = process.argv[process.argv.indexOf('--plan') + 1];
const refusal = tuiRefusal(process.stdout.isTTY === true);
if (refusal) { process.stderr.write(refusal + '\n'); process.exit(2); }
const registry = new Registry({ strategies, storage: [fsStorageType, s3StorageType] });
const plan = await loadPlan(planFile, registry);
const env = { ...process.env };
process.exitCode = await runTui({ plan, registry, env, version: '0.1.0', stdout: process.stdout, stdin: process.stdin,
  engine: (onEvent) => ({ plan, registry, env, lockDir: env.LIFEBOAT_LOCK_DIR ?? '/tmp/lifeboat-dev-locks', toolVersion: '0.1.0', onEvent }) });
