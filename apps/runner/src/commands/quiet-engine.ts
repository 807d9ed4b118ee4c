import type { Plan } from '@lifeboat/core';
import type { OperationsContext } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';

/**
 * For commands that print their own lines (pin, unpin, unlock, restore --json):
 * of the run's events, only warnings (and with `failures`, the failure's sentence) are worth showing, on stderr.
 */
export function quietEngine(ctx: CommandContext, plan: Plan, failures = false): OperationsContext {
  return {
    ...ctx.engine(plan),
    onEvent: (event) => {
      if (event.type === 'warning') ctx.io.stderr.write(`lifeboat: warning: ${event.message}\n`);
      if (failures && event.type === 'failed') ctx.io.stderr.write(`lifeboat: ${event.message}\n`);
    },
  };
}
