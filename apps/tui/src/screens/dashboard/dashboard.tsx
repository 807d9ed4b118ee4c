import { Box, Text } from 'ink';
import { formatBytes, formatDuration, type Plan } from '@lifeboat/core';
import type { ComponentStatus } from '@lifeboat/verify';
import { DEFAULT_RULE321 } from '@lifeboat/verify';
import type { Route } from '../../app-state.js';
import { cell, clock, windowStart } from '../../format.js';
import { nextRunText, type loadCron } from '../../schedule.js';
import { healthColor, healthMark, useTheme, type Theme } from '../../theme.js';
import { useNow } from '../../use-now.js';
import type { DashboardAction, DashboardState, Probe } from './dashboard-state.js';
import { useDashboardKeys } from './use-dashboard-keys.js';
import { Frame } from '../../frame.js';
import { Sentence } from '../../sentence.js';

type Cron = Awaited<ReturnType<typeof loadCron>>;

/** Column widths at 80 columns; the component name takes whatever is left. */
const COLUMNS = { mark: 2, kind: 9, backup: 14, size: 10, copies: 8, drill: 13, next: 12 } as const;
const FIXED = Object.values(COLUMNS).reduce((a, b) => a + b, 0);

interface Props {
  plan: Plan;
  state: DashboardState;
  latest: () => DashboardState;
  dispatch: (a: DashboardAction) => void;
  navigate: (r: Route) => void;
  refresh: () => void;
  cron: Cron;
  now: Date;
  width: number;
  height: number;
}

/** Every component against its RPO, RTO and the 3-2-1 rule, and whether each destination answers. */
export function Dashboard({ plan, state, latest, dispatch, navigate, refresh, cron, now, width, height }: Props) {
  const theme = useTheme();
  const ticking = useNow(state.loading);
  const selected = state.components[state.selected];
  const status = selected ? state.statuses?.find((s) => s.component === selected) : undefined;
  // The detail of a component with an archive (WAL) shows up to two more lines.
  const rows = Math.max(3, Math.min(state.components.length, height - 9 - Math.min(2, status?.archive?.lines.length ?? 0)));
  useDashboardKeys(latest, { page: rows, dispatch, navigate, refresh });
  const nameWidth = Math.max(8, width - FIXED);
  const first = windowStart(state.selected, state.components.length, rows);
  const rule = plan.rule321 ?? DEFAULT_RULE321;

  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">
        destinations:
        {Object.keys(plan.destinations).map((name) => (
          <ProbeText key={name} name={name} probe={state.probes[name] ?? { state: 'checking' }} theme={theme} />
        ))}
      </Text>
      <Text wrap="truncate" color={theme.muted}>
        {state.loading
          ? `reading the catalog and journal from the destinations… ${ticking - (state.loadStartedAt ?? ticking) >= 1000 ? formatDuration(ticking - (state.loadStartedAt ?? ticking)) : ''}`
          : state.updatedAt
            ? `updated ${clock(new Date(state.updatedAt))} · refreshes on its own`
            : ' '}
      </Text>
      <Text bold wrap="truncate">
        {cell('', COLUMNS.mark)}
        {cell('COMPONENT', nameWidth)}
        {cell('KIND', COLUMNS.kind)}
        {cell('BACKUP/RPO', COLUMNS.backup)}
        {cell('SIZE', COLUMNS.size)}
        {cell(`${rule.copies}-${rule.media}-${rule.offsite}`, COLUMNS.copies)}
        {cell('DRILL/RTO', COLUMNS.drill)}
        {cell('NEXT RUN', COLUMNS.next)}
      </Text>
      {state.components.slice(first, first + rows).map((name, i) => (
        <Row
          key={name}
          name={name}
          kind={plan.components[name]?.type ?? '?'}
          next={plan.components[name] ? nextRunText(plan.components[name].schedule, now, cron) : ''}
          status={state.statuses?.find((s) => s.component === name)}
          loaded={state.statuses !== undefined}
          selected={first + i === state.selected}
          nameWidth={nameWidth}
          theme={theme}
        />
      ))}
      <Text> </Text>
      {status ? <Detail status={status} theme={theme} width={width} now={now} /> : <Text color={theme.muted}>{state.statuses ? ' ' : 'waiting for the first read…'}</Text>}
      {state.error && <Sentence mark="✗" text={state.error} color={theme.bad} width={width} />}
      {state.warnings.slice(-2).map((w, i) => (
        <Sentence key={i} mark="!" text={w} color={theme.warn} width={width} />
      ))}
      {Object.entries(state.probes)
        .filter((entry): entry is [string, Extract<Probe, { state: 'fails' }>] => entry[1].state === 'fails')
        .slice(0, 2)
        .map(([name, probe]) => (
          <Sentence key={name} mark="✗" text={`${name}: ${probe.error}`} color={theme.bad} width={width} />
        ))}
    </Frame>
  );
}

function ProbeText({ name, probe, theme }: { name: string; probe: Probe; theme: Theme }) {
  const [mark, word, color] =
    probe.state === 'answers'
      ? ['✓', 'answers', theme.ok]
      : probe.state === 'empty'
        ? ['!', 'empty', theme.warn]
        : probe.state === 'fails'
          ? ['✗', 'fails', theme.bad]
          : probe.state === 'slow'
            ? ['…', 'slow', theme.warn]
            : ['…', 'checking', theme.muted];
  return (
    <Text>
      {'  '}
      {name} <Text color={color}>{`${mark} ${word}`}</Text>
    </Text>
  );
}

interface RowProps {
  name: string;
  kind: string;
  next: string;
  status: ComponentStatus | undefined;
  loaded: boolean;
  selected: boolean;
  nameWidth: number;
  theme: Theme;
}

function Row({ name, kind, next, status, loaded, selected, nameWidth, theme }: RowProps) {
  const waiting = loaded ? '—' : '…';
  return (
    <Text wrap="truncate" inverse={selected}>
      {cell(selected ? '›' : ' ', COLUMNS.mark)}
      {cell(name, nameWidth)}
      {cell(kind, COLUMNS.kind)}
      <Text color={status ? healthColor(theme, status.freshness) : undefined}>{cell(status ? backupCell(status) : waiting, COLUMNS.backup)}</Text>
      {cell(status?.lastBackup ? formatBytes(status.lastBackup.bytes) : waiting, COLUMNS.size)}
      <Text color={status?.lastBackup ? (status.compliance.ok ? theme.ok : theme.warn) : undefined}>{cell(status ? copiesCell(status) : waiting, COLUMNS.copies)}</Text>
      <Text color={status ? drillColor(theme, status) : undefined}>{cell(status ? drillCell(status) : waiting, COLUMNS.drill)}</Text>
      {cell(next, COLUMNS.next)}
    </Text>
  );
}

export function backupCell(s: ComponentStatus): string {
  if (s.ageMs === undefined) return 'never ✗';
  const age = formatDuration(s.ageMs);
  return s.rpoMs === 0 ? `${age} ${healthMark(s.freshness)}` : `${age}/${formatDuration(s.rpoMs)} ${healthMark(s.freshness)}`;
}

export function copiesCell(s: ComponentStatus): string {
  if (!s.lastBackup) return '—';
  const c = s.compliance;
  return `${c.copies}-${c.media}-${c.offsite} ${c.ok ? '✓' : '!'}`;
}

export function drillCell(s: ComponentStatus): string {
  if (!s.lastDrill) return 'never !';
  if (!s.lastDrill.ok) return 'failed ✗';
  if (s.lastDrill.rtoActualMs === undefined) return 'ok ✓';
  return `${formatDuration(s.lastDrill.rtoActualMs)}/${formatDuration(s.rtoMs)} ${s.lastDrill.rtoActualMs <= s.rtoMs ? '✓' : '!'}`;
}

function drillColor(theme: Theme, s: ComponentStatus): string | undefined {
  if (!s.lastDrill) return theme.warn;
  if (!s.lastDrill.ok) return theme.bad;
  return s.lastDrill.rtoActualMs !== undefined && s.lastDrill.rtoActualMs > s.rtoMs ? theme.warn : theme.ok;
}

function Detail({ status, theme, width, now }: { status: ComponentStatus; theme: Theme; width: number; now: Date }) {
  const b = status.lastBackup;
  const drill = status.lastDrill;
  const verify = status.lastVerify;
  const unreachable = status.compliance.unreachable;
  const age = (iso: string) => formatDuration(Math.max(0, now.getTime() - Date.parse(iso)));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{status.component}</Text>
        {' · '}
        <Text color={healthColor(theme, status.health)}>
          {healthMark(status.health)} {status.health}
          {status.severity ? ` (${status.severity})` : ''}
        </Text>
      </Text>
      <Text wrap="truncate">
        {b ? `last backup ${b.id}, ${age(b.finishedAt)} ago, in ${b.destinations.join(', ')}` : unreachable.length ? 'no backup found where it looked' : 'no backup yet: b takes one'}
        {unreachable.length > 0 && <Text color={theme.warn}>{` (${unreachable.join(', ')} unreachable)`}</Text>}
      </Text>
      <Text wrap="truncate">
        {drill
          ? `last drill ${age(drill.at)} ago: ${drill.ok ? `RTO ${drill.rtoActualMs === undefined ? '?' : formatDuration(drill.rtoActualMs)} of ${formatDuration(status.rtoMs)}` : 'FAILED'}`
          : 'never drilled: d runs one'}
        {' · '}
        {verify ? `last verify ${age(verify.at)} ago: ${verify.ok ? 'intact' : 'DAMAGE'}` : 'never verified: v runs one'}
      </Text>
      {status.archive?.lines.slice(0, 2).map((line, i) => (
        <Text key={`archive-${i}`} wrap="truncate">
          {line}
        </Text>
      ))}
      {status.reasons.slice(0, 3).map((r, i) => (
        <Box key={i} paddingLeft={2} width={width}>
          <Text wrap="wrap" color={healthColor(theme, status.health)}>
            {r}
          </Text>
        </Box>
      ))}
      {status.reasons.length === 0 && <Text color={theme.ok}>{'  '}within its RPO and RTO, and 3-2-1 is met</Text>}
    </Box>
  );
}
