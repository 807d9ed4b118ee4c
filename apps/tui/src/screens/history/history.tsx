import { useCallback, useEffect } from 'react';
import { Box, Text } from 'ink';
import { describeError, formatDuration, readJournal, type RunRecord } from '@lifeboat/core';
import { cell, when, windowStart } from '../../format.js';
import type { TuiServices } from '../../services.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import { useTheme } from '../../theme.js';
import { useNow } from '../../use-now.js';
import { historyReducer, initialHistory, rtoBars, rtoPoints } from './history-state.js';
import { useHistoryKeys } from './use-history-keys.js';
import { Frame } from '../../frame.js';
import { Sentence } from '../../sentence.js';

interface Props {
  services: TuiServices;
  width: number;
  height: number;
}

/** The run journal from the destinations, and every measured recovery against its RTO as a small chart. */
export function History({ services, width, height }: Props) {
  const theme = useTheme();
  const [state, dispatch] = useLatestReducer(historyReducer, () => initialHistory);
  const ticking = useNow(state.loading);
  const reload = useCallback(() => {
    dispatch({ type: 'loading', at: Date.now() });
    const warnings: string[] = [];
    readJournal(services.plan, services.registry, (m) => warnings.push(m)).then(
      (records) => dispatch({ type: 'loaded', records, warnings }),
      (err: unknown) => dispatch({ type: 'failed', error: describeError(err) }),
    );
  }, [services]);
  useEffect(reload, [reload]);

  const records = state.records ?? [];
  const points = rtoPoints(records, services.plan);
  const chartRows = Math.min(points.length, Math.max(2, Math.floor((height - 6) / 2)));
  const listRows = Math.max(3, height - 5 - Math.max(1, chartRows));
  useHistoryKeys({ page: listRows, dispatch, reload });
  const first = windowStart(state.selected, records.length, listRows);
  const barWidth = Math.max(10, width - 53);
  const bars = rtoBars(points.slice(-chartRows), barWidth);

  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Runs</Text>
        {state.records
          ? ` · ${records.length} in the journal, newest first`
          : state.error
            ? ''
            : ` · reading the journal from ${Object.keys(services.plan.destinations).join(', ')}… ${formatDuration(Math.max(0, ticking - (state.loadStartedAt ?? ticking)))}`}
      </Text>
      {state.error && <Sentence mark="✗" text={state.error} color={theme.bad} width={width} />}
      {state.records && records.length === 0 && <Text color={theme.muted}>{'  '}no runs recorded yet</Text>}
      {records.slice(first, first + listRows).map((r, i) => (
        <RunRow key={r.id} record={r} selected={first + i === state.selected} />
      ))}
      <Text> </Text>
      <Text bold wrap="truncate">
        RTO actual vs target <Text color={theme.muted}>(drills and runbooks; │ is the target)</Text>
      </Text>
      {bars.length === 0 && <Text color={theme.muted}>{'  '}no drill or runbook has measured a recovery yet: d on the dashboard runs a drill</Text>}
      {bars.map(({ point, bar, over }, i) => (
        <Text key={i} wrap="truncate">
          {cell(when(point.at).slice(5), 12)}
          {cell(point.component, 10)}
          {cell(point.label, 11)}{' '}
          <Text color={!point.ok ? theme.bad : over ? theme.warn : theme.ok}>{bar}</Text> {formatDuration(point.actualMs)}/{formatDuration(point.targetMs)}
          {!point.ok ? ' ✗' : over ? ' !' : ' ✓'}
        </Text>
      ))}
      {state.warnings.slice(-1).map((w, i) => (
        <Sentence key={i} mark="!" text={w} color={theme.warn} width={width} />
      ))}
    </Frame>
  );
}

function RunRow({ record, selected }: { record: RunRecord; selected: boolean }) {
  const theme = useTheme();
  const ok = record.exitCode === 0;
  const components = record.components.map((c) => (c.outcome === 'ok' ? c.component : `${c.component} ${c.outcome}`)).join(', ');
  const error = record.components.find((c) => c.error)?.error;
  return (
    <Text inverse={selected} wrap="truncate">
      {selected ? '› ' : '  '}
      {cell(when(record.startedAt), 17)}
      {cell(record.operation, 9)}
      <Text color={ok ? theme.ok : theme.bad}>{cell(ok ? '✓ ok' : `✗ exit ${record.exitCode}`, 9)}</Text>
      {cell(formatDuration(record.durationMs), 9)}
      {components}
      {error ? ` — ${error}` : ''}
    </Text>
  );
}
