import { loadPlan, Registry } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';
import { strategies } from '@lifeboat/strategies';
import { runTui } from './dist/index.js';
const registry = new Registry({ strategies, storage: [fsStorageType] });
const plan = await loadPlan(process.argv[2], registry);
const env = { ...process.env };
const code = await runTui({ plan, registry, env, version: '0.1.0', stdout: process.stdout, stdin: process.stdin,
  engine: (onEvent) => ({ plan, registry, env, lockDir: '/tmp/lifeboat-dev-locks', toolVersion: '0.1.0', onEvent }) });
process.exitCode = code;
