import { useCallback, useEffect, useRef } from 'react';
import { MARKER_KEY, describeError } from '@lifeboat/core';
import { readStatus } from '@lifeboat/verify';
import type { TuiServices } from '../../services.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import { dashboardReducer, initialDashboard, type DashboardAction, type DashboardState, type Probe } from './dashboard-state.js';

/** A destination that has not answered `head` within this long is shown as slow (still waiting, never blocking). */
export const SLOW_MS = 5_000;

/**
 * The dashboard's figures, kept by the app so they survive visits to other
 * screens, re-read every `refreshMs` while the dashboard shows. A read still
 * in flight is never started twice; earlier figures stay until it lands.
 */
export function useDashboardData(services: TuiServices, opts: { active: boolean; refreshMs: number }) {
  const { plan } = services;
  const [state, dispatch, latest] = useLatestReducer(dashboardReducer, () => initialDashboard(Object.keys(plan.components), Object.keys(plan.destinations)));
  const reading = useRef(false);
  const probing = useRef(new Set<string>());

  const refresh = useCallback(() => {
    if (!reading.current) {
      reading.current = true;
      dispatch({ type: 'refreshStarted', at: Date.now() });
      const warnings: string[] = [];
      const ctx = services.engine((event) => {
        if (event.type === 'warning') warnings.push(event.message);
      });
      readStatus(ctx)
        .then(
          (statuses) => dispatch({ type: 'statusLoaded', statuses, warnings, at: Date.now() }),
          (err: unknown) => dispatch({ type: 'statusFailed', error: describeError(err), at: Date.now() }),
        )
        .finally(() => {
          reading.current = false;
        });
    }
    for (const destination of Object.keys(plan.destinations)) {
      if (probing.current.has(destination)) continue;
      probing.current.add(destination);
      void probe(services, destination, dispatch).finally(() => probing.current.delete(destination));
    }
  }, [services, plan]);

  useEffect(() => {
    if (!opts.active) return;
    refresh();
    const timer = setInterval(refresh, opts.refreshMs);
    return () => clearInterval(timer);
  }, [opts.active, opts.refreshMs, refresh]);

  return { state, latest, dispatch, refresh } satisfies { state: DashboardState; latest: () => DashboardState; dispatch: (a: DashboardAction) => void; refresh: () => void };
}

/** A cheap question each destination can answer: does the repository marker exist? */
async function probe(services: TuiServices, destination: string, dispatch: (a: DashboardAction) => void): Promise<void> {
  const slow = setTimeout(() => dispatch({ type: 'probed', destination, probe: { state: 'slow' } }), SLOW_MS);
  let result: Probe;
  try {
    const { adapter } = services.registry.repository(services.plan, destination);
    result = (await adapter.head(MARKER_KEY)) ? { state: 'answers' } : { state: 'empty' };
  } catch (err) {
    result = { state: 'fails', error: describeError(err) };
  } finally {
    clearTimeout(slow);
  }
  dispatch({ type: 'probed', destination, probe: result });
}
