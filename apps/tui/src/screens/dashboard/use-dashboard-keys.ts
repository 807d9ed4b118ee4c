import type { Route } from '../../app-state.js';
import { useKeys } from '../../key-router.js';
import { listStep, type Command } from '../../keys.js';
import type { DashboardAction, DashboardState } from './dashboard-state.js';

const DASHBOARD_MODE = () => ({ scopes: ['dashboard', 'list'] as const });

export type DashboardIntent = { kind: 'dispatch'; action: DashboardAction } | { kind: 'navigate'; route: Route } | { kind: 'refresh' };

/** What a command means on the dashboard (pure, so key handling is unit-tested without a terminal). */
export function dashboardIntent(command: Command, state: DashboardState, page: number): DashboardIntent | undefined {
  const component = state.components[state.selected];
  const move = (action: DashboardAction): DashboardIntent => ({ kind: 'dispatch', action });
  const step = listStep(command, page);
  if (step !== undefined) return move({ type: 'move', by: step });
  switch (command) {
    case 'refresh':
      return { kind: 'refresh' };
    case 'history':
      return { kind: 'navigate', route: { screen: 'history' } };
    default:
      break;
  }
  if (!component) return undefined;
  switch (command) {
    case 'open':
      return { kind: 'navigate', route: { screen: 'backups', component } };
    case 'backup':
    case 'verify':
    case 'drill':
      return { kind: 'navigate', route: { screen: 'live', operation: command, component } };
    case 'restore':
      return { kind: 'navigate', route: { screen: 'restore', component } };
    case 'runbooks':
      return { kind: 'navigate', route: { screen: 'runbooks', component } };
    default:
      return undefined;
  }
}

export function useDashboardKeys(
  latest: () => DashboardState,
  opts: { page: number; dispatch: (a: DashboardAction) => void; navigate: (r: Route) => void; refresh: () => void },
): void {
  useKeys(DASHBOARD_MODE, (command) => {
    const intent = dashboardIntent(command, latest(), opts.page);
    if (!intent) return false;
    if (intent.kind === 'dispatch') opts.dispatch(intent.action);
    else if (intent.kind === 'navigate') opts.navigate(intent.route);
    else opts.refresh();
  });
}
