import { describeEvent, type RestoreCheck, type RunEvent } from '@lifeboat/core';

/** One artifact streaming to the component's destinations. */
export interface ArtifactProgress {
  name: string;
  bytes: number;
  /** From the event, or estimated from the previous backup (then `estimated`). */
  total?: number;
  estimated: boolean;
  /** Bytes per destination; the fan-out writes one stream to all, so without per-destination figures each shows the stream. */
  destinations: Record<string, number>;
  firstAt: number;
  firstBytes: number;
  lastAt: number;
  stored: boolean;
}

/**
 * What a run looks like from its events: the reducer behind the live view,
 * the wizard's restore and a runbook's automated step. Pure: times come in
 * with the actions.
 */
export interface RunState {
  title: string;
  phase: 'idle' | 'running' | 'cancelling' | 'done';
  confirmCancel: boolean;
  destinations: string[];
  /** Bytes of the previous backup, for a bar when the strategy cannot know the size in advance. */
  estimateBytes?: number;
  startedAt?: number;
  finishedAt?: number;
  step?: string;
  artifacts: ArtifactProgress[];
  /** Readable lines, one per event (progress excepted), newest last. */
  log: string[];
  committed?: { backupId: string; bytes: number; destinations: string[] };
  unchanged?: string;
  restored?: { backupId: string; target: string; checks: RestoreCheck[] };
  verified: string[];
  warnings: string[];
  failures: string[];
  outcome?: 'ok' | 'failed' | 'cancelled';
  exitCode?: number;
  durationMs?: number;
}

export type RunAction =
  | { type: 'start'; title: string; destinations: string[]; estimateBytes?: number; at: number }
  | { type: 'event'; event: RunEvent; at: number }
  | { type: 'askCancel' }
  | { type: 'keepRunning' }
  | { type: 'cancel' }
  /** The operation's promise settled; `error` when it rejected. */
  | { type: 'settled'; at: number; exitCode?: number; error?: string }
  | { type: 'line'; text: string };

export const LOG_LIMIT = 200;

export const idleRun: RunState = { title: '', phase: 'idle', confirmCancel: false, destinations: [], artifacts: [], log: [], verified: [], warnings: [], failures: [] };

const push = (lines: string[], line: string | undefined) => (line === undefined ? lines : [...lines, line].slice(-LOG_LIMIT));

export function runReducer(state: RunState, action: RunAction): RunState {
  switch (action.type) {
    case 'start':
      return {
        ...idleRun,
        title: action.title,
        destinations: action.destinations,
        ...(action.estimateBytes ? { estimateBytes: action.estimateBytes } : {}),
        phase: 'running',
        startedAt: action.at,
      };
    case 'askCancel':
      return state.phase === 'running' ? { ...state, confirmCancel: true } : state;
    case 'keepRunning':
      return { ...state, confirmCancel: false };
    case 'cancel':
      return state.phase === 'running' ? { ...state, confirmCancel: false, phase: 'cancelling', log: push(state.log, 'cancelling: the engine removes what this run wrote…') } : state;
    case 'line':
      return { ...state, log: push(state.log, action.text) };
    case 'settled': {
      if (state.phase === 'done') return state;
      const failures = action.error && !state.failures.includes(action.error) ? [...state.failures, action.error] : state.failures;
      const exitCode = state.exitCode ?? action.exitCode ?? (action.error ? 1 : 0);
      const outcome = state.phase === 'cancelling' ? 'cancelled' : exitCode === 0 && failures.length === 0 ? 'ok' : 'failed';
      return {
        ...state,
        phase: 'done',
        confirmCancel: false,
        failures,
        exitCode,
        outcome,
        finishedAt: action.at,
        durationMs: state.durationMs ?? (state.startedAt === undefined ? undefined : action.at - state.startedAt),
        log: action.error && !state.failures.includes(action.error) ? push(state.log, action.error) : state.log,
      };
    }
    case 'event':
      return onEvent(state, action.event, action.at);
  }
}

function onEvent(state: RunState, event: RunEvent, at: number): RunState {
  const log = event.type === 'progress' ? state.log : push(state.log, describeEvent(event));
  const next = { ...state, log };
  switch (event.type) {
    case 'step':
      return { ...next, step: event.message };
    case 'progress':
      return { ...next, artifacts: progressed(state, event, at) };
    case 'artifact.stored':
      return {
        ...next,
        artifacts: upsert(state.artifacts, event.artifact.name, at, (a) => ({
          ...a,
          bytes: event.artifact.bytes,
          total: event.artifact.bytes,
          estimated: false,
          stored: true,
          destinations: Object.fromEntries(event.destinations.map((d) => [d, event.artifact.bytes])),
        })),
      };
    case 'verified':
      return { ...next, verified: [...state.verified, `${event.check}${event.detail ? `: ${event.detail}` : ''}`] };
    case 'warning':
      return { ...next, warnings: [...state.warnings, event.message] };
    case 'committed':
      return { ...next, committed: { backupId: event.backupId, bytes: event.bytes, destinations: event.destinations } };
    case 'unchanged':
      return { ...next, unchanged: event.reason };
    case 'restored':
      return { ...next, restored: { backupId: event.backupId, target: event.target, checks: event.checks } };
    case 'checked':
      // The live target's checks after afterRestore: one table with the restore's own.
      return state.restored ? { ...next, restored: { ...state.restored, checks: [...state.restored.checks, ...event.checks] } } : next;
    case 'failed':
      return { ...next, failures: [...state.failures, event.message] };
    case 'run.finished':
      return { ...next, exitCode: event.exitCode, durationMs: event.durationMs };
    default:
      return next;
  }
}

function upsert(list: ArtifactProgress[], name: string, at: number, change: (a: ArtifactProgress) => ArtifactProgress): ArtifactProgress[] {
  const existing = list.find((a) => a.name === name);
  const base: ArtifactProgress = existing ?? { name, bytes: 0, estimated: false, destinations: {}, firstAt: at, firstBytes: 0, lastAt: at, stored: false };
  const changed = change(base);
  return existing ? list.map((a) => (a === existing ? changed : a)) : [...list, changed];
}

function progressed(state: RunState, event: Extract<RunEvent, { type: 'progress' }>, at: number): ArtifactProgress[] {
  return upsert(state.artifacts, event.artifact, at, (a) => {
    const fresh = a.bytes === 0 && !a.stored;
    // The previous backup's size stands in for the first artifact's (a dump's size is unknown until it ends).
    const first = (state.artifacts[0]?.name ?? event.artifact) === event.artifact;
    const estimate = first && state.estimateBytes !== undefined ? Math.max(state.estimateBytes, event.bytes) : undefined;
    const total = event.total ?? estimate;
    return {
      ...a,
      bytes: event.bytes,
      ...(total !== undefined ? { total } : {}),
      estimated: event.total === undefined && total !== undefined,
      destinations: event.destinations ?? Object.fromEntries(state.destinations.map((d) => [d, event.bytes])),
      ...(fresh ? { firstAt: at, firstBytes: event.bytes } : {}),
      lastAt: at,
    };
  });
}

/** Bytes per second since the first progress report, once there are two to compare. */
export function rateOf(a: ArtifactProgress): number | undefined {
  const seconds = (a.lastAt - a.firstAt) / 1000;
  return seconds > 0 ? (a.bytes - a.firstBytes) / seconds : undefined;
}

/** Milliseconds left at the current rate, when the size is known or estimated. */
export function etaOf(a: ArtifactProgress): number | undefined {
  const rate = rateOf(a);
  if (a.stored || a.total === undefined || !rate) return undefined;
  return Math.max(0, ((a.total - a.bytes) / rate) * 1000);
}

export const isActive = (s: RunState) => s.phase === 'running' || s.phase === 'cancelling';
