import { nowOf, type EngineContext, type Plan, type Registry, type RunListener } from '@lifeboat/core';
import { operationsContext, type OperationsContext } from '@lifeboat/operations';

/** What the runner hands `runTui`: the same plan, registry and engine factory its headless commands use. */
export interface TuiOptions {
  plan: Plan;
  /** An engine context for the plan, reporting to `onEvent` (the runner's env, lock dir, version, signal, clock). */
  engine: (onEvent: RunListener) => EngineContext;
  registry: Registry;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: Readonly<Record<string, string | undefined>>;
  version: string;
}

/** What screens use to reach the engine. Every operation is a package function; nothing here re-implements one. */
export interface TuiServices {
  plan: Plan;
  registry: Registry;
  env: Readonly<Record<string, string | undefined>>;
  version: string;
  /**
   * What operations need, reporting to `onEvent`: the engine context (`signal` cancels it as well as the
   * runner's own, SIGTERM), and an alerter of the TUI's own whose failed deliveries are warnings in that view.
   */
  engine(onEvent: RunListener, signal?: AbortSignal): OperationsContext;
  /** The engine's clock (the runner honours LIFEBOAT_NOW). */
  now(): Date;
}

export function createServices(opts: Pick<TuiOptions, 'plan' | 'engine' | 'registry' | 'env' | 'version'>): TuiServices {
  const engine = (onEvent: RunListener, signal?: AbortSignal): OperationsContext => {
    const ctx = opts.engine(onEvent);
    const signals = [ctx.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    // Never an alerter the runner built for the terminal's stderr: Ink owns the screen.
    return operationsContext({ ...ctx, onEvent, ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) } : {}) });
  };
  return {
    plan: opts.plan,
    registry: opts.registry,
    env: opts.env,
    version: opts.version,
    engine,
    now: () => nowOf(opts.engine(() => undefined)),
  };
}
