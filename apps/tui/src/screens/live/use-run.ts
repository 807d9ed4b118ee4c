import { useCallback, useContext, useEffect, useRef } from 'react';
import { describeError } from '@lifeboat/core';
import type { OperationsContext } from '@lifeboat/operations';
import { BusyContext } from '../../busy.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import type { TuiServices } from '../../services.js';
import { idleRun, runReducer, type RunState } from './run-state.js';

export interface RunSpec {
  title: string;
  /** The component's destinations, for per-destination progress. */
  destinations: string[];
  estimateBytes?: number;
}

export interface RunHandle {
  /** As of the last render. */
  state: RunState;
  /** As of now: what key handlers read. */
  current(): RunState;
  /** Runs `work` with an engine context whose events feed `state`; resolves with its result (undefined if it threw). */
  start<T>(spec: RunSpec, work: (ctx: OperationsContext) => Promise<T>): Promise<T | undefined>;
  askCancel(): void;
  keepRunning(): void;
  /** Aborts the engine's signal; the engine removes partial backups and reports the cancellation. */
  cancel(): void;
  /** A line in the log tail that is not an engine event (a hook's output in a runbook). */
  line(text: string): void;
}

/** One engine operation at a time, seen through its run events. */
export function useRun(services: TuiServices): RunHandle {
  const [state, dispatch, current] = useLatestReducer(runReducer, () => idleRun);
  const controller = useRef<AbortController | undefined>(undefined);
  const owner = useRef({}).current;
  const report = useContext(BusyContext);
  useEffect(
    () => () => {
      controller.current?.abort(new Error('the TUI screen running this was closed'));
      report(owner, undefined);
    },
    [report, owner],
  );

  const start = useCallback(
    async <T,>(spec: RunSpec, work: (ctx: OperationsContext) => Promise<T>): Promise<T | undefined> => {
      const abort = new AbortController();
      controller.current = abort;
      report(owner, spec.title);
      dispatch({ type: 'start', ...spec, at: Date.now() });
      const ctx = services.engine((event) => dispatch({ type: 'event', event, at: Date.now() }), abort.signal);
      try {
        const result = await work(ctx);
        const exitCode = (result as { exitCode?: unknown } | undefined)?.exitCode;
        report(owner, undefined);
        dispatch({ type: 'settled', at: Date.now(), ...(typeof exitCode === 'number' ? { exitCode } : {}) });
        return result;
      } catch (err) {
        const exitCode = (err as { exitCode?: unknown }).exitCode;
        report(owner, undefined);
        dispatch({ type: 'settled', at: Date.now(), error: describeError(err), ...(typeof exitCode === 'number' ? { exitCode } : {}) });
        return undefined;
      } finally {
        if (controller.current === abort) controller.current = undefined;
      }
    },
    [services, report, owner],
  );

  return {
    state,
    current,
    start,
    askCancel: useCallback(() => dispatch({ type: 'askCancel' }), []),
    keepRunning: useCallback(() => dispatch({ type: 'keepRunning' }), []),
    cancel: useCallback(() => {
      dispatch({ type: 'cancel' });
      controller.current?.abort(new Error('cancelled from the TUI'));
    }, []),
    line: useCallback((text: string) => dispatch({ type: 'line', text }), []),
  };
}
