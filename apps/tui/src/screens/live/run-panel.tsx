import { Box, Text } from 'ink';
import { formatBytes, formatDuration, type RestoreCheck } from '@lifeboat/core';
import { bar, cell, clip } from '../../format.js';
import { useTheme } from '../../theme.js';
import { useNow } from '../../use-now.js';
import { etaOf, isActive, rateOf, type ArtifactProgress, type RunState } from './run-state.js';
import { Frame } from '../../frame.js';

/**
 * A run as it happens: current step, a bar per destination, the log tail,
 * then the summary. Shared by the live view, the restore wizard and runbook steps.
 */
export function RunPanel({ run, width, height }: { run: RunState; width: number; height: number }) {
  const theme = useTheme();
  const now = useNow(isActive(run));
  const elapsed = (run.finishedAt ?? now) - (run.startedAt ?? now);
  const phase =
    run.phase === 'running' ? `running ${formatDuration(Math.max(0, elapsed))}` : run.phase === 'cancelling' ? 'cancelling…' : run.phase === 'done' ? outcomeText(run) : '';
  const phaseColor = run.phase === 'done' ? (run.outcome === 'ok' ? theme.ok : theme.bad) : theme.accent;

  const progress = run.artifacts.flatMap((a) => artifactLines(a, run.destinations, width));
  const summary = run.phase === 'done' ? summaryLines(run) : [];
  const checks = run.restored ? run.restored.checks : [];
  const fixed = 2 + progress.length + summary.length + (checks.length ? checks.length + 1 : 0) + (run.confirmCancel ? 4 : 0);
  const logRows = Math.max(2, height - fixed - 1);

  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{run.title}</Text>
        {' — '}
        <Text color={phaseColor}>{phase}</Text>
      </Text>
      <Text wrap="truncate">{run.step ? `step: ${run.step}` : ' '}</Text>
      {progress.map((line, i) => (
        <Text key={`p${i}`} wrap="truncate" color={line.accent ? theme.accent : undefined}>
          {line.text}
        </Text>
      ))}
      {checks.length > 0 && <ChecksTable checks={checks} width={width} />}
      {summary.map((line, i) => (
        <Text key={`s${i}`} wrap="truncate" color={line.tone === 'ok' ? theme.ok : line.tone === 'bad' ? theme.bad : line.tone === 'warn' ? theme.warn : undefined}>
          {line.text}
        </Text>
      ))}
      <Text color={theme.muted}>log</Text>
      {run.log.slice(-logRows).map((line, i) => (
        <Text key={`l${i}`} wrap="truncate">
          {'  '}
          {line}
        </Text>
      ))}
      {run.confirmCancel && (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color={theme.warn} wrap="wrap">
            Cancel {run.title}? It stops now; the engine removes what the run wrote, so nothing is left half-committed.
          </Text>
          <Text bold color={theme.warn}>
            y cancel it · n keep running
          </Text>
        </Box>
      )}
    </Frame>
  );
}

export function ChecksTable({ checks, width }: { checks: RestoreCheck[]; width: number }) {
  const theme = useTheme();
  const nameWidth = Math.min(32, Math.max(...checks.map((c) => c.name.length), 5));
  // The values share what the name and the verdict (`✗ DIFFERS`) leave of the width.
  const room = Math.max(6, Math.floor((width - nameWidth - 2 - 9) / 2) - 2);
  const valueWidth = Math.min(room, Math.max(...checks.flatMap((c) => [String(c.expected).length, String(c.actual).length]), 8));
  // Every column keeps two spaces after it, even when its text is clipped.
  const col = (text: string, w: number) => cell(clip(text, w), w + 2);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {col('post-restore check', nameWidth)}
        {col('backup', valueWidth)}
        {col('restored', valueWidth)}
      </Text>
      {checks.map((c) => (
        <Text key={c.name} wrap="truncate" color={c.ok ? theme.ok : theme.bad}>
          {clip(`${col(c.name, nameWidth)}${col(String(c.expected), valueWidth)}${col(String(c.actual), valueWidth)}${verdict(c)}`, width)}
        </Text>
      ))}
    </Box>
  );
}

/** A check can pass with values that differ by design (the row counts at a point in time against the base backup's): `✓ ok`, not `✓ match`. */
const verdict = (c: RestoreCheck) => (!c.ok ? '✗ DIFFERS' : String(c.expected) === String(c.actual) ? '✓ match' : '✓ ok');

function outcomeText(run: RunState): string {
  const took = run.durationMs === undefined ? '' : ` in ${formatDuration(run.durationMs)}`;
  if (run.outcome === 'cancelled') return `cancelled${took}`;
  if (run.outcome === 'ok') return `✓ done${took}`;
  return `✗ failed${took} (exit ${run.exitCode ?? 1})`;
}

function artifactLines(a: ArtifactProgress, destinations: string[], width: number): Array<{ text: string; accent?: boolean }> {
  const rate = rateOf(a);
  const eta = etaOf(a);
  const approx = a.estimated ? '~' : '';
  const head = `${a.name}${a.stored ? ' ✓ stored' : ''}${rate ? `  ${formatBytes(rate)}/s` : ''}${eta !== undefined ? `  ETA ${approx}${formatDuration(eta)}` : ''}${a.estimated && !a.stored ? '  (size estimated from the last backup)' : ''}`;
  const names = Object.keys(a.destinations).length > 0 ? Object.keys(a.destinations) : destinations;
  const labelWidth = Math.min(14, Math.max(...names.map((n) => n.length), 4)) + 2;
  const barWidth = Math.max(10, Math.min(30, width - labelWidth - 30));
  const rows = names.map((name) => {
    const bytes = a.destinations[name] ?? a.bytes;
    const fraction = a.stored ? 1 : a.total ? bytes / a.total : undefined;
    const size = a.total && !a.stored ? `${formatBytes(bytes)} / ${approx}${formatBytes(a.total)}` : formatBytes(bytes);
    return { text: `  ${cell(name, labelWidth)}${fraction === undefined ? cell('streaming…', barWidth) : bar(fraction, barWidth)}  ${size}` };
  });
  return [{ text: head, accent: true }, ...rows];
}

function summaryLines(run: RunState): Array<{ text: string; tone?: 'ok' | 'bad' | 'warn' }> {
  const lines: Array<{ text: string; tone?: 'ok' | 'bad' | 'warn' }> = [];
  if (run.committed) lines.push({ text: `✓ committed backup ${run.committed.backupId} (${formatBytes(run.committed.bytes)}) to ${run.committed.destinations.join(', ')}`, tone: 'ok' });
  if (run.unchanged) lines.push({ text: `✓ unchanged: ${run.unchanged}`, tone: 'ok' });
  if (run.restored) lines.push({ text: `restored backup ${run.restored.backupId} into ${run.restored.target}`, tone: run.restored.checks.every((c) => c.ok) ? 'ok' : 'bad' });
  for (const v of run.verified.slice(-3)) lines.push({ text: `✓ ${v}`, tone: 'ok' });
  for (const w of run.warnings.slice(-2)) lines.push({ text: `! ${w}`, tone: 'warn' });
  for (const f of run.failures.slice(-3)) lines.push({ text: `✗ ${f}`, tone: 'bad' });
  return lines;
}
