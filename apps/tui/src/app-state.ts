/** Where the operator is. The app keeps a stack: `esc` goes back to what was under. */
export type Route =
  | { screen: 'dashboard' }
  | { screen: 'backups'; component: string }
  | { screen: 'live'; operation: LiveOperation; component: string }
  | { screen: 'restore'; component: string; backupId?: string }
  | { screen: 'runbooks'; component: string }
  | { screen: 'history' };

export type LiveOperation = 'backup' | 'verify' | 'drill';

export interface AppState {
  stack: Route[];
  help: boolean;
  /** One sentence under the screen: why a key did nothing. */
  notice?: string;
}

export type AppAction =
  | { type: 'push'; route: Route }
  | { type: 'pop' }
  | { type: 'help'; open: boolean }
  | { type: 'notice'; text?: string };

export const initialApp: AppState = { stack: [{ screen: 'dashboard' }], help: false };

export function appReducer(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'push':
      return { stack: [...state.stack, action.route], help: false };
    case 'pop':
      return state.stack.length > 1 ? { stack: state.stack.slice(0, -1), help: false } : { ...state, notice: 'this is the first screen; q quits' };
    case 'help':
      return { ...state, help: action.open };
    case 'notice':
      return action.text === undefined ? { stack: state.stack, help: state.help } : { ...state, notice: action.text };
  }
}

export const topOf = (state: AppState): Route => state.stack.at(-1)!;

export const TITLES: Record<Route['screen'], string> = {
  dashboard: 'Dashboard',
  backups: 'Backups',
  live: 'Live run',
  restore: 'Restore wizard',
  runbooks: 'Runbooks',
  history: 'History',
};
