import { useEffect } from 'react';
import { Box, Text } from 'ink';
import { describeError, formatBytes, formatDuration, holdsFor, manifestBytes, readCatalog, readJournal, readPin, type CatalogEntry, type LegalHold } from '@lifeboat/core';
import type { Route } from '../../app-state.js';
import { cell, when, windowStart } from '../../format.js';
import type { TuiServices } from '../../services.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import { useTheme } from '../../theme.js';
import { useNow } from '../../use-now.js';
import { backupsReducer, copiesText, factLines, heldBy, initialBackups, selectedEntry, verifiedAt } from './backups-state.js';
import { useBackupsKeys } from './use-backups-keys.js';
import { Frame } from '../../frame.js';
import { Sentence } from '../../sentence.js';

interface Props {
  services: TuiServices;
  component: string;
  width: number;
  height: number;
  navigate: (r: Route) => void;
}

const COLUMNS = { id: 25, age: 9, size: 10, where: 16 } as const;

/** The component's backups as the destinations hold them, with the selected manifest's facts below. */
export function Backups({ services, component, width, height, navigate }: Props) {
  const theme = useTheme();
  const [state, dispatch, latest] = useLatestReducer(backupsReducer, () => initialBackups);
  const ticking = useNow(state.loading);
  const listRows = Math.max(3, Math.min(8, height - 12));
  useBackupsKeys(latest, component, { page: listRows, dispatch, navigate });

  useEffect(() => {
    dispatch({ type: 'loading', at: Date.now() });
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const unreachable: Record<string, string> = {};
    const onUnreachable = (destination: string, reason: string) => (unreachable[destination] = reason);
    const load = async () => {
      const [entries, journal] = await Promise.all([
        readCatalog(services.plan, services.registry, { component, onWarning: warn, onUnreachable }),
        readJournal(services.plan, services.registry, warn),
      ]);
      // A pin lives beside the manifest in every destination holding the backup; the first one answers.
      const pins: Record<string, string> = {};
      await Promise.all(
        entries.map(async (e) => {
          try {
            const pin = await readPin(services.registry.repository(services.plan, e.destinations[0]!), component, e.id);
            if (pin) pins[e.id] = pin.reason;
          } catch (err) {
            warn(`cannot read the pin of ${e.id}: ${describeError(err)}`);
          }
        }),
      );
      return { entries, journal, pins };
    };
    load().then(
      ({ entries, journal, pins }) => dispatch({ type: 'loaded', entries, journal, pins, warnings, unreachable }),
      (err: unknown) => dispatch({ type: 'failed', error: describeError(err) }),
    );
  }, [services, component]);

  const nowDate = services.now();
  const now = nowDate.getTime();
  const holds = holdsFor(services.plan, component);
  const entries = state.entries ?? [];
  const first = windowStart(state.selected, entries.length, listRows);
  const chosen = selectedEntry(state);
  const destinations = services.plan.components[component]?.destinations ?? [];
  const down = destinations.filter((d) => state.unreachable[d] !== undefined);
  const where = [destinations.filter((d) => !down.includes(d)).join(', '), down.length ? `(${down.join(', ')} unreachable)` : ''].filter(Boolean).join(' ');

  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{component}</Text>
        {state.entries
          ? ` · ${entries.length} complete backup${entries.length === 1 ? '' : 's'} in ${where}`
          : state.error
            ? ''
            : ` · reading the catalog from ${where}… ${formatDuration(Math.max(0, ticking - (state.loadStartedAt ?? ticking)))}`}
      </Text>
      {state.error && <Sentence mark="✗" text={state.error} color={theme.bad} width={width} />}
      <Text bold wrap="truncate">
        {'  '}
        {cell('BACKUP', COLUMNS.id)}
        {cell('AGE', COLUMNS.age)}
        {cell('SIZE', COLUMNS.size)}
        {cell('WHERE', COLUMNS.where)}
        VERIFIED/KEPT
      </Text>
      {state.entries && entries.length === 0 && <Text color={theme.warn}>{'  '}no complete backup yet: b on the dashboard takes one</Text>}
      {entries.slice(first, first + listRows).map((entry, i) => {
        const selected = first + i === state.selected;
        const verified = verifiedAt(entry, state.journal);
        const kept = [heldBy(entry, holds, nowDate) ? 'held' : '', state.pins[entry.id] !== undefined ? 'pinned' : ''].filter(Boolean).join(' ');
        return (
          <Text key={entry.id} inverse={selected} wrap="truncate">
            {selected ? '› ' : '  '}
            {cell(entry.id, COLUMNS.id)}
            {cell(formatDuration(Math.max(0, now - Date.parse(entry.manifest.finishedAt))), COLUMNS.age)}
            {cell(formatBytes(manifestBytes(entry.manifest)), COLUMNS.size)}
            {cell(entry.destinations.join(','), COLUMNS.where)}
            {verified ? `✓ ${when(verified).slice(5, 10)}` : '–'}
            {kept ? ` ${kept}` : ''}
          </Text>
        );
      })}
      <Text> </Text>
      {chosen && (
        <Detail
          entry={chosen}
          unreachable={state.unreachable}
          verified={verifiedAt(chosen, state.journal)}
          hold={heldBy(chosen, holds, nowDate)}
          pin={state.pins[chosen.id]}
          width={width}
          height={height - Math.min(listRows, entries.length) - 5}
        />
      )}
      {state.warnings.slice(-2).map((w, i) => (
        <Sentence key={i} mark="!" text={w} color={theme.warn} width={width} />
      ))}
    </Frame>
  );
}

interface DetailProps {
  entry: CatalogEntry;
  unreachable: Record<string, string>;
  verified: string | undefined;
  hold: LegalHold | undefined;
  pin: string | undefined;
  width: number;
  height: number;
}

function Detail({ entry, unreachable, verified, hold, pin, width, height }: DetailProps) {
  const theme = useTheme();
  const m = entry.manifest;
  const took = Date.parse(m.finishedAt) - Date.parse(m.startedAt);
  const facts = factLines(m.facts, (key, value) => (/bytes$/i.test(key) ? formatBytes(value) : String(value)));
  return (
    <Frame width={width} height={Math.max(3, height)}>
      <Text bold color={theme.accent} wrap="truncate">
        {m.id} · {m.kind} · taken {when(m.startedAt)} in {formatDuration(Math.max(0, took))} · lifeboat {m.tool.version}
      </Text>
      <Text wrap="wrap">{copiesText(entry, unreachable)}</Text>
      <Text wrap="wrap">
        {verified ? `verified intact ${when(verified)}` : 'not verified since written (v on the dashboard)'}
        {hold ? ` · held until ${hold.until}: ${hold.reason}` : ''}
        {pin !== undefined ? ` · pinned: ${pin}` : ''}
      </Text>
      {m.artifacts.map((a) => (
        <Box key={a.name} flexDirection="column">
          <Text wrap="truncate">
            {a.name} · {formatBytes(a.bytes)} · {a.compression === 'gzip' ? 'gzip' : 'as is'} · {a.format}
          </Text>
          <Text wrap="truncate">
            {'  '}sha256 {a.sha256}
          </Text>
        </Box>
      ))}
      {facts.map((line, i) => (
        <Text key={i} wrap="wrap">
          {line}
        </Text>
      ))}
    </Frame>
  );
}
