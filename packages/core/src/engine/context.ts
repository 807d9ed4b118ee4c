import type { RunListener } from '../events.js';
import type { Plan } from '../plan/types.js';
import { createSecretResolver, type SecretResolver } from '../plan/secret.js';
import type { Registry } from './registry.js';

/** Everything an engine operation needs, handed in by the app (no globals, no process.env). */
export interface EngineContext {
  plan: Plan;
  registry: Registry;
  /** Environment for secrets (`env:NAME`) and child processes. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where host-level locks live. */
  lockDir: string;
  toolVersion: string;
  onEvent: RunListener;
  /** Aborting (SIGINT/SIGTERM) cancels the run; a cancelled backup leaves nothing behind. */
  signal?: AbortSignal;
  now?: () => Date;
}

export function secretsFor(ctx: EngineContext): SecretResolver {
  return createSecretResolver({ env: ctx.env, planDir: ctx.plan.dir });
}

export function nowOf(ctx: EngineContext): Date {
  return ctx.now?.() ?? new Date();
}
