import { combineListeners, type RunListener } from '../events.js';
import { identityOf, type Identity } from '../journal/journal.js';
import type { Plan } from '../plan/types.js';
import { createSecretResolver, type SecretResolver } from '../plan/secret.js';
import type { Registry } from './registry.js';
import type { LockTiming } from './repository-lock.js';
import { parseIdentities } from '../pipeline/age.js';

/** Everything an engine operation needs, handed in by the app (no globals, no process.env). */
export interface EngineContext {
  plan: Plan;
  registry: Registry;
  /** Environment for secrets (`env:NAME`) and child processes. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where host-level locks live. */
  lockDir: string;
  /** Repository lock expiry and refresh (tests shorten them); defaults in repository-lock.ts. */
  lockTiming?: Partial<LockTiming>;
  toolVersion: string;
  onEvent: RunListener;
  /** Aborting (SIGINT/SIGTERM) cancels the run; a cancelled backup leaves nothing behind. */
  signal?: AbortSignal;
  now?: () => Date;
  /** Who runs it and where, for the run journal (default: from `env` and the host name). */
  identity?: Identity;
  /** Where restores spool the copy they prove before changing anything (default: the system's temp folder). */
  spoolDir?: string;
  /** How to run this Lifeboat again (argv prefix: [node, bin.js], or [lifeboat]), for servers a restore starts that call it back. */
  selfCommand?: readonly string[];
}

export function secretsFor(ctx: EngineContext): SecretResolver {
  return createSecretResolver({ env: ctx.env, planDir: ctx.plan.dir });
}

export function nowOf(ctx: EngineContext): Date {
  return ctx.now?.() ?? new Date();
}

export function identityFor(ctx: EngineContext): Identity {
  return ctx.identity ?? identityOf(ctx.env);
}

/** The context with its listener behind a guard: a view that throws never breaks the run it shows. */
export function guarded<T extends EngineContext>(ctx: T): T {
  return { ...ctx, onEvent: combineListeners(ctx.onEvent) };
}

/**
 * The plan's age identities, read only when an encrypted artifact is read;
 * undefined when the plan names no identity (a host that only backs up).
 */
export function identitiesFor(ctx: EngineContext): (() => Promise<string[]>) | undefined {
  const ref = ctx.plan.encryption?.identity;
  if (!ref) return undefined;
  let cached: Promise<string[]> | undefined;
  return () => (cached ??= secretsFor(ctx).resolve(ref, 'encryption.identity').then((text) => parseIdentities(text, 'encryption.identity')));
}
