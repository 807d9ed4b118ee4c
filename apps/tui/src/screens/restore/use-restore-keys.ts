import { useKeys } from '../../key-router.js';
import { listStep, type Command, type Scope } from '../../keys.js';
import type { RunHandle } from '../live/use-run.js';
import { applyLiveIntent, liveIntent, liveScopes } from '../live/use-live-keys.js';
import type { RestoreAction, RestoreState } from './restore-state.js';

export type RestoreIntent = { kind: 'dispatch'; action: RestoreAction } | { kind: 'exit' };

/** Typing steps take every printable key. */
export const typingStep = (s: RestoreState) => s.step === 'typing' || s.step === 'confirm';

/** `cleanable`: clean means something for the chosen target (`cleanApplies`), so `c` is offered. */
export function restoreScopes(s: RestoreState, cleanable = false): Scope[] {
  if (typingStep(s)) return ['text'];
  if (s.step === 'review') return cleanable ? ['review', 'clean'] : ['review'];
  return ['list'];
}

/** What a command means at this step of the wizard (pure). `exit` leaves the wizard. */
export function restoreIntent(command: Command, s: RestoreState, page: number): RestoreIntent | undefined {
  const act = (action: RestoreAction): RestoreIntent => ({ kind: 'dispatch', action });
  if (s.step === 'done') return command === 'open' || command === 'back' ? { kind: 'exit' } : undefined;
  const step = listStep(command, page);
  if (step !== undefined) return act({ type: 'move', by: step });
  switch (command) {
    case 'open':
    case 'submit':
      return act({ type: 'next' });
    case 'erase':
      return act({ type: 'erase' });
    case 'clean':
      return s.step === 'review' ? act({ type: 'toggleClean' }) : undefined;
    case 'back':
      return s.step === 'backup' || (s.step === 'target' && s.preselected !== undefined) ? { kind: 'exit' } : act({ type: 'back' });
    default:
      return undefined;
  }
}

export function useRestoreKeys(
  latest: () => RestoreState,
  run: RunHandle,
  opts: { page: number; dispatch: (a: RestoreAction) => void; exit: () => void; active: boolean; cleanable: (s: RestoreState) => boolean },
): void {
  useKeys(
    () => {
      const s = latest();
      if (s.step === 'running') return { scopes: liveScopes(run.current()) };
      return typingStep(s) ? { scopes: ['text'], onText: (text: string) => opts.dispatch({ type: 'text', text }) } : { scopes: restoreScopes(s, opts.cleanable(s)) };
    },
    (command) => {
      const s = latest();
      if (s.step === 'running') {
        const intent = liveIntent(command, run.current());
        if (!intent) return false;
        applyLiveIntent(intent, run);
        return;
      }
      const intent = restoreIntent(command, s, opts.page);
      if (!intent) return false;
      if (intent.kind === 'exit') opts.exit();
      else opts.dispatch(intent.action);
    },
    { active: opts.active },
  );
}
