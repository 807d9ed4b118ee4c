import type { CommandContext } from '../main.js';

/**
 * `lifeboat tui`: the Ink app for the people on call, over the same engine
 * and events as every headless command. Loaded only when asked for, so the
 * headless runner never pays for React.
 */
export async function tuiCommand(ctx: CommandContext): Promise<number> {
  const { runTui, tuiRefusal } = await import('@lifeboat/tui');
  const refusal = tuiRefusal(ctx.environment.terminal !== undefined);
  if (refusal || !ctx.environment.terminal) {
    ctx.io.stderr.write(`${refusal}\n`);
    return 2;
  }
  const plan = await ctx.loadPlan();
  return runTui({
    plan,
    engine: (onEvent) => ({ ...ctx.engine(plan), onEvent }),
    registry: ctx.registry,
    stdout: ctx.environment.terminal.stdout,
    stdin: ctx.environment.terminal.stdin,
    env: ctx.environment.env,
    version: ctx.version,
  });
}
