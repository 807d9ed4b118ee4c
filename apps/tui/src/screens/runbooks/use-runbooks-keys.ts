import { useKeys } from '../../key-router.js';
import type { Command, Scope } from '../../keys.js';
import { isActive, type RunState } from '../live/run-state.js';
import { liveIntent, liveScopes, type LiveIntent } from '../live/use-live-keys.js';
import type { RunHandle } from '../live/use-run.js';
import { isFinished, pendingCount, stepKind, type RunbooksAction, type RunbooksState } from './runbooks-state.js';

export type RunbooksIntent =
  | { kind: 'dispatch'; action: RunbooksAction }
  /** Run an automated step (a command, a Lifeboat action, or open the restore wizard). */
  | { kind: 'execute'; index: number }
  /** Open the runbook selected in the list. */
  | { kind: 'open' }
  /** Stop the timer and write the run record. */
  | { kind: 'finish' }
  | { kind: 'live'; intent: LiveIntent };

export function runbooksScopes(state: RunbooksState, run: RunState): Scope[] {
  const s = state.session;
  if (!s) return ['list'];
  if (s.typingNote) return ['text'];
  if (s.asking) return ['confirm'];
  if (isActive(run)) return liveScopes(run);
  return ['runbook', 'list'];
}

/** What a command means in the runbook list or a runbook session (pure). */
export function runbooksIntent(command: Command, state: RunbooksState, run: RunState, opts: { count: number; page: number; now: number }): RunbooksIntent | undefined {
  const act = (action: RunbooksAction): RunbooksIntent => ({ kind: 'dispatch', action });
  const s = state.session;
  const move = (by: number) => act({ type: 'move', by, count: opts.count });
  const nav = command === 'up' ? -1 : command === 'down' ? 1 : command === 'pageUp' ? -opts.page : command === 'pageDown' ? opts.page : 0;

  if (!s) {
    if (nav) return move(nav);
    return command === 'open' ? { kind: 'open' } : undefined;
  }
  if (s.typingNote) {
    if (command === 'submit') return act({ type: 'markDone', index: s.selected, at: opts.now, note: s.note });
    if (command === 'erase') return act({ type: 'noteErase' });
    if (command === 'back') return act({ type: 'cancelNote' });
    return undefined;
  }
  if (s.asking) {
    if (command === 'no') return act({ type: 'dismiss' });
    if (command === 'yes') return s.asking === 'finish' ? { kind: 'finish' } : act({ type: 'close' });
    return undefined;
  }
  if (isActive(run)) {
    const intent = liveIntent(command, run);
    return intent ? { kind: 'live', intent } : undefined;
  }
  if (nav) return move(nav);
  const finished = isFinished(s);
  const step = s.runbook.steps[s.selected];
  const record = s.steps[s.selected];
  switch (command) {
    case 'back':
      return finished || s.startedAt === undefined ? act({ type: 'close' }) : act({ type: 'ask', question: 'leave' });
    case 'open':
      if (finished || !step || !record) return undefined;
      if (record.status === 'done' || record.status === 'skipped') return act({ type: 'problem', text: `step ${s.selected + 1} is already ${record.status}` });
      return stepKind(step) === 'manual' ? act({ type: 'markDone', index: s.selected, at: opts.now }) : { kind: 'execute', index: s.selected };
    case 'note':
      return finished ? undefined : act({ type: 'startNote' });
    case 'skip':
      return finished ? undefined : act({ type: 'skip', index: s.selected, at: opts.now });
    case 'finish':
      if (finished) return undefined;
      if (s.startedAt === undefined) return act({ type: 'problem', text: 'nothing is done yet: the timer starts at the first step' });
      return pendingCount(s) > 0 ? act({ type: 'ask', question: 'finish' }) : { kind: 'finish' };
    default:
      return undefined;
  }
}

export function useRunbooksKeys(
  latest: () => RunbooksState,
  run: RunHandle,
  opts: { count: () => number; page: number; active: boolean; dispatch: (a: RunbooksAction) => void; perform: (i: Exclude<RunbooksIntent, { kind: 'dispatch' }>) => void },
): void {
  useKeys(
    () => {
      const state = latest();
      const scopes = runbooksScopes(state, run.current());
      return state.session?.typingNote ? { scopes, onText: (text: string) => opts.dispatch({ type: 'noteText', text }) } : { scopes };
    },
    (command) => {
      const intent = runbooksIntent(command, latest(), run.current(), { count: opts.count(), page: opts.page, now: Date.now() });
      if (!intent) return false;
      if (intent.kind === 'dispatch') opts.dispatch(intent.action);
      else opts.perform(intent);
    },
    { active: opts.active },
  );
}
