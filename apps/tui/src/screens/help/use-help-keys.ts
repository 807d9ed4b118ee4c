import { useKeys } from '../../key-router.js';
import { listStep, type Command } from '../../keys.js';
import type { HelpAction } from './help-state.js';

const HELP_MODE = () => ({ scopes: ['help', 'list'] as const });

export type HelpIntent = { kind: 'close' } | { kind: 'dispatch'; action: HelpAction } | { kind: 'swallow' };

/** Help has the keyboard: it scrolls and closes; every other key is swallowed except quit. */
export function helpIntent(command: Command, page: number, max: number): HelpIntent | undefined {
  const step = listStep(command, page);
  if (step !== undefined) return { kind: 'dispatch', action: { type: 'scroll', by: step, max } };
  switch (command) {
    case 'back':
      return { kind: 'close' };
    case 'quit':
      return undefined;
    default:
      return { kind: 'swallow' };
  }
}

export function useHelpKeys(opts: { page: number; max: number; dispatch: (a: HelpAction) => void; close: () => void }): void {
  useKeys(HELP_MODE, (command) => {
    const intent = helpIntent(command, opts.page, opts.max);
    if (!intent) return false;
    if (intent.kind === 'close') opts.close();
    else if (intent.kind === 'dispatch') opts.dispatch(intent.action);
  });
}
