import type { Scope, Command } from '../../keys.js';
import { useKeys } from '../../key-router.js';
import type { RunHandle } from './use-run.js';
import type { RunState } from './run-state.js';

export type LiveIntent = 'askCancel' | 'cancel' | 'keepRunning';

/** The scopes a run listens to: the cancel question takes the keyboard while it is asked. */
export function liveScopes(run: RunState): Scope[] {
  return run.confirmCancel ? ['confirm'] : ['live'];
}

/** What a command means to a run (pure). */
export function liveIntent(command: Command, run: RunState): LiveIntent | undefined {
  if (run.confirmCancel) return command === 'yes' ? 'cancel' : command === 'no' ? 'keepRunning' : undefined;
  if (command === 'cancel' && run.phase === 'running') return 'askCancel';
  return undefined;
}

export function applyLiveIntent(intent: LiveIntent, run: RunHandle): void {
  if (intent === 'askCancel') run.askCancel();
  else if (intent === 'cancel') run.cancel();
  else run.keepRunning();
}

export function useLiveKeys(run: RunHandle, opts: { active?: boolean } = {}): void {
  useKeys(
    () => ({ scopes: liveScopes(run.current()) }),
    (command) => {
      const intent = liveIntent(command, run.current());
      if (!intent) return false;
      applyLiveIntent(intent, run);
    },
    { active: opts.active ?? true },
  );
}
