import { useKeys } from '../../key-router.js';
import { listStep, type Command } from '../../keys.js';
import type { HistoryAction } from './history-state.js';

const HISTORY_MODE = () => ({ scopes: ['history', 'list'] as const });

export type HistoryIntent = { kind: 'dispatch'; action: HistoryAction } | { kind: 'reload' };

export function historyIntent(command: Command, page: number): HistoryIntent | undefined {
  const step = listStep(command, page);
  if (step !== undefined) return { kind: 'dispatch', action: { type: 'move', by: step } };
  switch (command) {
    case 'refresh':
      return { kind: 'reload' };
    default:
      return undefined;
  }
}

export function useHistoryKeys(opts: { page: number; dispatch: (a: HistoryAction) => void; reload: () => void }): void {
  useKeys(HISTORY_MODE, (command) => {
    const intent = historyIntent(command, opts.page);
    if (!intent) return false;
    if (intent.kind === 'dispatch') opts.dispatch(intent.action);
    else opts.reload();
  });
}
