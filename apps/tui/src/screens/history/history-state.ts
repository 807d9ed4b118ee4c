import type { Plan, RunRecord } from '@lifeboat/core';

export interface HistoryState {
  /** Newest first. */
  records?: RunRecord[];
  loading: boolean;
  loadStartedAt?: number;
  error?: string;
  warnings: string[];
  selected: number;
}

export type HistoryAction =
  | { type: 'loading'; at: number }
  | { type: 'loaded'; records: RunRecord[]; warnings: string[] }
  | { type: 'failed'; error: string }
  | { type: 'move'; by: number };

export const initialHistory: HistoryState = { loading: false, warnings: [], selected: 0 };

export function historyReducer(state: HistoryState, action: HistoryAction): HistoryState {
  switch (action.type) {
    case 'loading':
      return { ...state, loading: true, loadStartedAt: action.at };
    case 'loaded':
      return { ...state, loading: false, records: [...action.records].reverse(), warnings: action.warnings, selected: 0 };
    case 'failed':
      return { ...state, loading: false, error: action.error };
    case 'move': {
      const count = state.records?.length ?? 0;
      return { ...state, selected: count === 0 ? 0 : Math.min(count - 1, Math.max(0, state.selected + action.by)) };
    }
  }
}

/** One measured recovery: a drill, or a runbook run, with its RTO actual and the target it had. */
export interface RtoPoint {
  at: string;
  component: string;
  operation: 'drill' | 'runbook';
  label: string;
  actualMs: number;
  targetMs: number;
  ok: boolean;
}

/** Every RTO actual in the journal (drills and runbooks), oldest first. */
export function rtoPoints(records: RunRecord[], plan: Pick<Plan, 'components'>): RtoPoint[] {
  const points: RtoPoint[] = [];
  for (const r of [...records].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    if (r.operation !== 'drill' && r.operation !== 'runbook') continue;
    for (const c of r.components) {
      const actual = c.details?.rtoActualMs;
      const target = (c.details?.rtoTargetMs as number | undefined) ?? plan.components[c.component]?.rto;
      if (typeof actual !== 'number' || target === undefined) continue;
      const label = r.operation === 'runbook' ? String(c.details?.runbook ?? 'runbook') : 'drill';
      points.push({ at: r.finishedAt, component: c.component, operation: r.operation, label, actualMs: actual, targetMs: target, ok: c.outcome === 'ok' });
    }
  }
  return points;
}

/**
 * Bars on one scale, as a share of each point's own target: the target is the
 * same column (`│`) on every row, and a bar past it is over the RTO.
 */
export function rtoBars(points: RtoPoint[], width: number): Array<{ point: RtoPoint; bar: string; over: boolean }> {
  const maxRatio = Math.max(1.25, ...points.map((p) => p.actualMs / Math.max(1, p.targetMs)));
  const targetColumn = Math.round(width / maxRatio);
  return points.map((point) => {
    const ratio = point.actualMs / Math.max(1, point.targetMs);
    const filled = Math.min(width, ratio > 0 ? Math.max(1, Math.round((ratio / maxRatio) * width)) : 0);
    const cells: string[] = Array.from({ length: width }, (_, i) => (i < filled ? '█' : i === targetColumn ? '│' : '·'));
    if (targetColumn < width && filled > targetColumn) cells[targetColumn] = '┃';
    return { point, bar: cells.join(''), over: ratio > 1 };
  });
}
