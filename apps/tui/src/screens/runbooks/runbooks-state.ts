import type { Runbook, RunbookStep } from '@lifeboat/core';

/** What a session acts on, resolved against the plan when it opens (see runbookScope). */
export interface RunbookScope {
  /** The components the scenario is about. */
  components: string[];
  /** Per step: the components its action acts on (none for manual steps and commands). */
  targets: string[][];
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepRecord {
  status: StepStatus;
  note?: string;
  exitCode?: number;
  /** The last lines the step printed (hook output, run events). */
  output: string[];
  error?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface Session extends RunbookScope {
  runbook: Runbook;
  steps: StepRecord[];
  selected: number;
  /** The timer starts at the first step acted on and stops at finish: the RTO actual. */
  startedAt?: number;
  finishedAt?: number;
  /** A step whose automated work (or restore wizard) is under way. */
  running?: number;
  wizard: boolean;
  typingNote: boolean;
  note: string;
  asking?: 'finish' | 'leave';
  recording?: 'writing' | 'written';
  recordId?: string;
  recordWarnings: string[];
  problem?: string;
}

export interface RunbooksState {
  selected: number;
  session?: Session;
}

export type RunbooksAction =
  | { type: 'move'; by: number; count: number }
  | { type: 'open'; runbook: Runbook; scope: RunbookScope }
  | { type: 'close' }
  | { type: 'stepStarted'; index: number; at: number; wizard?: boolean }
  | { type: 'stepFinished'; index: number; at: number; exitCode: number; output: string[]; error?: string }
  /** The wizard was left before it restored anything: the step is pending again. */
  | { type: 'stepAbandoned'; index: number }
  | { type: 'markDone'; index: number; at: number; note?: string }
  | { type: 'skip'; index: number; at: number }
  | { type: 'startNote' }
  | { type: 'noteText'; text: string }
  | { type: 'noteErase' }
  | { type: 'cancelNote' }
  | { type: 'ask'; question: 'finish' | 'leave' }
  | { type: 'dismiss' }
  | { type: 'finish'; at: number }
  | { type: 'recording' }
  | { type: 'recorded'; id?: string; warnings: string[] }
  | { type: 'problem'; text: string };

export const initialRunbooks: RunbooksState = { selected: 0 };

export function stepKind(step: RunbookStep): 'action' | 'command' | 'manual' {
  return step.action ? 'action' : step.command ? 'command' : 'manual';
}

export function openSession(runbook: Runbook, scope: RunbookScope): Session {
  return {
    runbook,
    components: scope.components,
    targets: scope.targets,
    steps: runbook.steps.map(() => ({ status: 'pending', output: [] })),
    selected: 0,
    wizard: false,
    typingNote: false,
    note: '',
    recordWarnings: [],
  };
}

export function runbooksReducer(state: RunbooksState, action: RunbooksAction): RunbooksState {
  if (action.type === 'move' && !state.session) {
    return { ...state, selected: clamp(state.selected + action.by, action.count) };
  }
  if (action.type === 'open') return { ...state, session: openSession(action.runbook, action.scope) };
  if (action.type === 'close') return { selected: state.selected };
  if (!state.session) return state;
  return { ...state, session: sessionReducer(state.session, action) };
}

function sessionReducer(s0: Session, action: RunbooksAction): Session {
  const { problem: _cleared, ...s } = s0;
  const started = (at: number) => s.startedAt ?? at;
  const setStep = (index: number, change: Partial<StepRecord>) => s.steps.map((st, i) => (i === index ? { ...st, ...change } : st));
  const nextPending = (steps: StepRecord[], from: number) => {
    const after = steps.findIndex((st, i) => i > from && st.status === 'pending');
    return after >= 0 ? after : from;
  };
  switch (action.type) {
    case 'move':
      return { ...s, selected: clamp(s.selected + action.by, s.steps.length) };
    case 'stepStarted':
      return { ...s, startedAt: started(action.at), running: action.index, wizard: action.wizard ?? false, steps: setStep(action.index, { status: 'running', startedAt: action.at, output: [] }) };
    case 'stepFinished': {
      const steps = setStep(action.index, {
        status: action.exitCode === 0 ? 'done' : 'failed',
        exitCode: action.exitCode,
        output: action.output,
        finishedAt: action.at,
        ...(action.error ? { error: action.error } : {}),
      });
      const { running: _r, ...rest } = s;
      return { ...rest, wizard: false, steps, selected: action.exitCode === 0 ? nextPending(steps, action.index) : action.index };
    }
    case 'stepAbandoned': {
      const { running: _r, ...rest } = s;
      return { ...rest, wizard: false, steps: setStep(action.index, { status: 'pending', output: [] }) };
    }
    case 'markDone': {
      const note = action.note?.trim();
      const steps = setStep(action.index, { status: 'done', finishedAt: action.at, ...(note ? { note } : {}) });
      return { ...s, startedAt: started(action.at), typingNote: false, note: '', steps, selected: nextPending(steps, action.index) };
    }
    case 'skip': {
      const steps = setStep(action.index, { status: 'skipped', finishedAt: action.at });
      return { ...s, startedAt: started(action.at), steps, selected: nextPending(steps, action.index) };
    }
    case 'startNote':
      return { ...s, typingNote: true, note: '' };
    case 'noteText':
      return { ...s, note: s.note + action.text };
    case 'noteErase':
      return { ...s, note: s.note.slice(0, -1) };
    case 'cancelNote':
      return { ...s, typingNote: false, note: '' };
    case 'ask':
      return { ...s, asking: action.question };
    case 'dismiss': {
      const { asking: _a, ...rest } = s;
      return rest;
    }
    case 'finish': {
      const { asking: _a, ...rest } = s;
      return { ...rest, finishedAt: action.at };
    }
    case 'recording':
      return { ...s, recording: 'writing' };
    case 'recorded':
      return { ...s, recording: 'written', ...(action.id ? { recordId: action.id } : {}), recordWarnings: action.warnings };
    case 'problem':
      return { ...s, problem: action.text };
    default:
      return s;
  }
}

function clamp(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(count - 1, Math.max(0, index));
}

export const isFinished = (s: Session) => s.finishedAt !== undefined;
export const pendingCount = (s: Session) => s.steps.filter((st) => st.status === 'pending').length;

/** The journal's view of a finished session: the RTO actual and every step's outcome. */
export function sessionDetails(s: Session): { exitCode: number; rtoActualMs: number; steps: Array<Record<string, unknown>> } {
  const rtoActualMs = (s.finishedAt ?? 0) - (s.startedAt ?? s.finishedAt ?? 0);
  const steps = s.runbook.steps.map((step, i) => {
    const r = s.steps[i]!;
    return {
      title: step.title,
      kind: stepKind(step),
      ...(step.command ? { command: step.command } : {}),
      ...(step.action ? { action: step.action.type, components: s.targets[i] ?? [] } : {}),
      outcome: r.status === 'pending' ? 'not done' : r.status,
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      ...(r.note ? { note: r.note } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.startedAt !== undefined && r.finishedAt !== undefined ? { durationMs: r.finishedAt - r.startedAt } : {}),
    };
  });
  const ok = s.steps.every((r) => r.status === 'done' || r.status === 'skipped');
  return { exitCode: ok ? 0 : 1, rtoActualMs, steps };
}
