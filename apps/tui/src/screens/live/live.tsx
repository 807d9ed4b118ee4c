import { useEffect, useRef } from 'react';
import { Box, Text } from 'ink';
import { backup, drill, verify, type OperationsContext } from '@lifeboat/operations';
import type { LiveOperation } from '../../app-state.js';
import type { TuiServices } from '../../services.js';
import { useTheme } from '../../theme.js';
import { RunPanel } from './run-panel.js';
import { useLiveKeys } from './use-live-keys.js';
import { useRun } from './use-run.js';

/** The same operations `lifeboat backup|verify|drill` run (plan check, auto-prune, alerts, journal), on one component. */
export const OPERATIONS: Record<LiveOperation, (ctx: OperationsContext, component: string) => Promise<{ exitCode: number }>> = {
  backup: (ctx, component) => backup(ctx, [component]),
  verify: (ctx, component) => verify(ctx, { components: [component], deep: false }),
  drill: (ctx, component) => drill(ctx, [component]),
};

interface Props {
  services: TuiServices;
  operation: LiveOperation;
  component: string;
  /** The last backup's size: the bar's estimate while a dump of unknown size streams. */
  lastBytes?: number;
  width: number;
  height: number;
}

/** Starts the operation when it opens and shows it to the end; `c` cancels, `esc` leaves once it is over. */
export function Live({ services, operation, component, lastBytes, width, height }: Props) {
  const theme = useTheme();
  const run = useRun(services);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const destinations = services.plan.components[component]?.destinations ?? [];
    void run.start(
      { title: `${operation} of ${component}`, destinations, ...(operation === 'backup' && lastBytes ? { estimateBytes: lastBytes } : {}) },
      (ctx) => OPERATIONS[operation](ctx, component),
    );
  }, [run, services, operation, component, lastBytes]);
  useLiveKeys(run);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <RunPanel run={run.state} width={width} height={height - 1} />
      <Text color={theme.muted} wrap="truncate">
        {run.state.phase === 'done' ? 'esc: back to the dashboard (it re-reads the destinations)' : ' '}
      </Text>
    </Box>
  );
}
