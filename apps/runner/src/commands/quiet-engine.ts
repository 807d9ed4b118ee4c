import type { Plan } from '@lifeboat/core';
import type { OperationsContext } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';

/** For commands that print their own lines (pin, unpin, unlock): of the run's events, only warnings are worth showing. */
export function quietEngine(ctx: CommandContext, plan: Plan): OperationsContext {
  return {
    ...ctx.engine(plan),
    onEvent: (event) => {
      if (event.type === 'warning') ctx.io.stderr.write(`lifeboat: warning: ${event.message}\n`);
    },
  };
}
