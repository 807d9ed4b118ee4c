import type { Route } from '../../app-state.js';
import { useKeys } from '../../key-router.js';
import { listStep, type Command } from '../../keys.js';
import { selectedEntry, type BackupsAction, type BackupsState } from './backups-state.js';

const BACKUPS_MODE = () => ({ scopes: ['backups', 'list'] as const });

export type BackupsIntent = { kind: 'dispatch'; action: BackupsAction } | { kind: 'navigate'; route: Route };

export function backupsIntent(command: Command, state: BackupsState, component: string, page: number): BackupsIntent | undefined {
  const step = listStep(command, page);
  if (step !== undefined) return { kind: 'dispatch', action: { type: 'move', by: step } };
  switch (command) {
    case 'restore': {
      const entry = selectedEntry(state);
      return entry ? { kind: 'navigate', route: { screen: 'restore', component, backupId: entry.id } } : undefined;
    }
    default:
      return undefined;
  }
}

export function useBackupsKeys(
  latest: () => BackupsState,
  component: string,
  opts: { page: number; dispatch: (a: BackupsAction) => void; navigate: (r: Route) => void },
): void {
  useKeys(BACKUPS_MODE, (command) => {
    const intent = backupsIntent(command, latest(), component, opts.page);
    if (!intent) return false;
    if (intent.kind === 'dispatch') opts.dispatch(intent.action);
    else opts.navigate(intent.route);
  });
}
