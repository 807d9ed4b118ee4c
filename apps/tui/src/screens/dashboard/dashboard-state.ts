import type { ComponentStatus } from '@lifeboat/verify';

/** Whether a destination answered a cheap `head('lifeboat.json')`. */
export type Probe =
  | { state: 'checking' }
  | { state: 'slow' }
  | { state: 'answers' }
  /** It answers but holds no repository yet (no backup was ever written there). */
  | { state: 'empty' }
  | { state: 'fails'; error: string };

export interface DashboardState {
  components: string[];
  selected: number;
  statuses?: ComponentStatus[];
  /** A read of the destinations is in flight; earlier figures stay on screen meanwhile. */
  loading: boolean;
  loadStartedAt?: number;
  updatedAt?: number;
  /** The engine's sentence when the last read failed. */
  error?: string;
  warnings: string[];
  probes: Record<string, Probe>;
}

export type DashboardAction =
  | { type: 'move'; by: number }
  | { type: 'moveTo'; index: number }
  | { type: 'refreshStarted'; at: number }
  | { type: 'statusLoaded'; statuses: ComponentStatus[]; warnings: string[]; at: number }
  | { type: 'statusFailed'; error: string; at: number }
  | { type: 'probed'; destination: string; probe: Probe };

export function initialDashboard(components: string[], destinations: string[]): DashboardState {
  return { components, selected: 0, loading: false, warnings: [], probes: Object.fromEntries(destinations.map((d) => [d, { state: 'checking' } as Probe])) };
}

export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'move':
      return { ...state, selected: clamp(state.selected + action.by, state.components.length) };
    case 'moveTo':
      return { ...state, selected: clamp(action.index, state.components.length) };
    case 'refreshStarted':
      return { ...state, loading: true, loadStartedAt: action.at };
    case 'statusLoaded': {
      const { error: _dropped, ...rest } = state;
      return { ...rest, loading: false, statuses: action.statuses, warnings: action.warnings, updatedAt: action.at };
    }
    case 'statusFailed':
      // Keep the last figures: a slow or failing destination must not blank the screen.
      return { ...state, loading: false, error: action.error, updatedAt: action.at };
    case 'probed':
      return { ...state, probes: { ...state.probes, [action.destination]: action.probe } };
  }
}

function clamp(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(count - 1, Math.max(0, index));
}

export function selectedComponent(state: DashboardState): string | undefined {
  return state.components[state.selected];
}
