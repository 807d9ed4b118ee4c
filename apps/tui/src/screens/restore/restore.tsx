import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { DEFAULT_RESTORE_SURFACE, describeError, formatBytes, formatDuration, manifestBytes, previewRestore, readCatalog, restoreSurfaceOf, type RestoreRequest } from '@lifeboat/core';
import { drill, restore, type OperationsContext } from '@lifeboat/operations';
import { cell, windowStart } from '../../format.js';
import type { TuiServices } from '../../services.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import { useTheme } from '../../theme.js';
import { RunPanel } from '../live/run-panel.js';
import type { RunState } from '../live/run-state.js';
import { useRun } from '../live/use-run.js';
import { chosenBackup, initialRestore, restoreReducer, restoredBackup, type RestoreState } from './restore-state.js';
import { restorePlan } from './restore-plan.js';
import { cleanApplies, confirmPrompt, headline, needsConfirmation, rehearsalOf, restoreRequest, restoreTargets, type Chosen, type Component, type Targets } from './targets.js';
import { useRestoreKeys } from './use-restore-keys.js';
import { Frame } from '../../frame.js';
import { Sentence } from '../../sentence.js';

export interface RestoreResult {
  exitCode: number;
  /** One line for a runbook step: what was restored where, and the checks. */
  summary: string;
  /** What the restore reported (a table restore's per-table comparison). */
  report?: string[];
}

interface Props {
  services: TuiServices;
  component: string;
  backupId?: string;
  /** The target to offer first, by its kind (a runbook step's `action.target`, e.g. `tables`). */
  targetKind?: string;
  width: number;
  height: number;
  back: () => void;
  /** When embedded (a runbook step): called instead of `back`, with the result if a restore ran. */
  onExit?: (result: RestoreResult | undefined) => void;
  active?: boolean;
}

const STEP_TITLES: Record<RestoreState['step'], string> = {
  backup: '1/4 pick a backup',
  target: '2/4 pick a target',
  typing: '2/4 type a target',
  review: '3/4 what will happen',
  confirm: '3/4 type the name to confirm',
  running: '4/4 restoring',
  done: '4/4 result',
};

/**
 * Backup → target → what will happen → (typed confirmation for production) →
 * live progress → the post-restore checks. Runs the `restore` operation, or
 * `drill` for the drill target, exactly as `lifeboat restore|drill` do.
 */
export function RestoreWizard({ services, component, backupId, targetKind, width, height, back, onExit, active = true }: Props) {
  const theme = useTheme();
  const entry = services.plan.components[component] as Component | undefined;
  // Where a backup can go, and what each target means, is the component's strategy's to say.
  const targets = useMemo(
    () =>
      entry
        ? restoreTargets(restoreSurfaceOf(services.registry.strategy(entry.type)), entry)
        : restoreTargets(DEFAULT_RESTORE_SURFACE, { hooks: { beforeRestore: [], afterRestore: [] } } as unknown as Component),
    [entry, services.registry],
  );
  const reducer = useMemo(() => restoreReducer(targets), [targets]);
  const [state, dispatch, latest] = useLatestReducer(reducer, () =>
    initialRestore(component, backupId, targetKind === undefined ? 0 : targets.choices.findIndex((c) => c.kind === targetKind)),
  );
  const run = useRun(services);
  // What the restore reported (a table restore's comparison), shown under the run.
  const [report, setReport] = useState<string[] | undefined>(undefined);
  const listRows = Math.max(3, height - 6);
  const exit = () => (onExit ? onExit(latest().step === 'done' ? resultOf(run.current(), component, report) : undefined) : back());
  const cleanable = (s: RestoreState) => entry !== undefined && s.target !== undefined && cleanApplies(targets, s.target.kind);
  useRestoreKeys(latest, run, { page: listRows, dispatch, exit, active, cleanable });

  useEffect(() => {
    const warnings: string[] = [];
    readCatalog(services.plan, services.registry, { component, onWarning: (m) => warnings.push(m) }).then(
      (entries) => dispatch({ type: 'loaded', entries, warnings }),
      (err: unknown) => dispatch({ type: 'failed', error: describeError(err) }),
    );
  }, [services, component]);

  // A target whose backup the strategy chooses (a restore to a point): the engine chooses it and says what it
  // would refuse, as `lifeboat restore` does before anything is touched, while the review waits.
  const asking = state.preview?.status === 'checking' ? state.preview.seq : undefined;
  useEffect(() => {
    if (asking === undefined || !state.target) return;
    const request = restoreRequest(targets, state.target, state.clean);
    const rehearsal = rehearsalOf(targets, state.target);
    if (rehearsal) {
      // The CLI's --dry-run of this very restore (a launch's RunInstances DryRun); esc or unmount stops it.
      const backup = chosenBackup(latest());
      if (!backup) return;
      const abort = new AbortController();
      rehearse(services, component, backup.id, { ...request, options: { ...request.options, ...rehearsal.options } }, abort.signal).then(
        (lines) => dispatch({ type: 'previewed', seq: asking, backup, lines }),
        (err: unknown) => dispatch({ type: 'refused', seq: asking, error: describeError(err) }),
      );
      return () => abort.abort();
    }
    previewRestore(services.engine(() => undefined), { component }, request).then(
      ({ backupId, steps }) => {
        const backup = latest().entries?.find((e) => e.id === backupId);
        if (backup) dispatch({ type: 'previewed', seq: asking, backup, lines: steps });
        else dispatch({ type: 'refused', seq: asking, error: `the engine chose backup ${backupId}, which is newer than the list read when the wizard opened; esc and open the wizard again` });
      },
      (err: unknown) => dispatch({ type: 'refused', seq: asking, error: describeError(err) }),
    );
  }, [asking]);

  const started = useRef(false);
  useEffect(() => {
    if (state.step !== 'running' || started.current || !state.target) return;
    const backup = restoredBackup(state);
    if (!backup || !entry) return;
    started.current = true;
    const target = state.target;
    const clean = state.clean;
    void run
      .start({ title: `restore of ${component}${target.kind === 'drill' ? ' into the drill target' : ''}`, destinations: [] }, (ctx) =>
        restoreInto(ctx, component, backup.id, targets, target, clean, setReport),
      )
      .then(() => dispatch({ type: 'finished' }));
  }, [state, run, entry, component, targets]);

  if (!entry) return <Text color={theme.bad}>the plan has no component {component}</Text>;
  const backup = chosenBackup(state);
  const choices = targets.choices;
  const field = choices[state.targetIndex]?.fields?.[state.field];

  return (
    <Frame width={width} height={height}>
      <Text bold wrap="truncate">
        Restore {component} · {state.step === 'typing' && state.field > 0 && field?.title ? `2/4 ${field.title}` : STEP_TITLES[state.step]}
      </Text>
      {state.loading && <Text color={theme.muted}>reading the catalog from {entry.destinations.join(', ')}…</Text>}
      {state.error && <Sentence mark="✗" text={state.error} color={theme.bad} width={width} />}
      {state.step === 'backup' && state.entries && <BackupList state={state} rows={listRows} width={width} now={services.now().getTime()} />}
      {state.step === 'target' && (
        <Box flexDirection="column">
          <Text wrap="truncate">backup {backup?.id}</Text>
          {targetKind !== undefined && !choices.some((c) => c.kind === targetKind) && (
            <Sentence mark="!" text={`this step asks for the '${targetKind}' restore, which ${component} does not offer; pick a target below`} color={theme.warn} width={width} />
          )}
          {choices.map((choice, i) => (
            <Text key={choice.kind} inverse={i === state.targetIndex} wrap="truncate">
              {i === state.targetIndex ? '› ' : '  '}
              {choice.label}
            </Text>
          ))}
        </Box>
      )}
      {state.step === 'typing' && field && (
        <FieldInput
          backup={backup?.id}
          name={field.name}
          text={state.typed[state.field] ?? ''}
          hint={typeof field.hint === 'function' ? (state.target ? field.hint(state.target) : '') : field.hint}
        />
      )}
      {(state.step === 'review' || state.step === 'confirm') && state.target && (
        <Review component={component} targets={targets} state={state} width={width} />
      )}
      {(state.step === 'running' || state.step === 'done') && <RunPanel run={run.state} width={width} height={height - 2 - (report ? rowsOf(report, width) + 1 : 0)} />}
      {state.step === 'done' && report && (
        <Box flexDirection="column" width={width}>
          {report.map((line, i) => (
            <Text key={i} wrap="wrap">
              {line}
            </Text>
          ))}
        </Box>
      )}
      {state.step === 'done' && <Text color={theme.muted}>enter or esc: {onExit ? 'back to the runbook' : 'back'}</Text>}
      {state.problem && <Sentence mark="!" text={state.problem} color={theme.warn} width={width} />}
      {state.warnings.slice(-1).map((w, i) => (
        <Sentence key={i} mark="!" text={w} color={theme.warn} width={width} />
      ))}
    </Frame>
  );
}

function BackupList({ state, rows, width, now }: { state: RestoreState; rows: number; width: number; now: number }) {
  const theme = useTheme();
  const entries = state.entries ?? [];
  if (entries.length === 0) return <Text color={theme.warn}>no complete backup of {state.component} exists yet</Text>;
  const first = windowStart(state.backupIndex, entries.length, rows);
  return (
    <Box flexDirection="column" width={width}>
      {entries.slice(first, first + rows).map((e, i) => (
        <Text key={e.id} inverse={first + i === state.backupIndex} wrap="truncate">
          {first + i === state.backupIndex ? '› ' : '  '}
          {cell(e.id, 25)}
          {cell(`${formatDuration(Math.max(0, now - Date.parse(e.manifest.finishedAt)))} old`, 14)}
          {cell(formatBytes(manifestBytes(e.manifest)), 10)}
          {e.destinations.join(', ')}
        </Text>
      ))}
    </Box>
  );
}

function FieldInput({ backup, name, text, hint }: { backup: string | undefined; name: string; text: string; hint: string }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">backup {backup}</Text>
      <Text>
        {name}: <Text inverse>{text || ' '}</Text>
      </Text>
      <Text color={theme.muted} wrap="wrap">
        {hint}
      </Text>
    </Box>
  );
}

function Review({ component, targets, state, width }: { component: string; targets: Targets; state: RestoreState; width: number }) {
  const theme = useTheme();
  const target = state.target!;
  const preview = state.preview;
  const rehearsal = rehearsalOf(targets, target);
  // A dry run does not choose the backup: what will happen is shown while it runs.
  const backup = rehearsal ? chosenBackup(state) : restoredBackup(state);
  const lines = backup ? restorePlan(targets, { component, backup, target, clean: state.clean, ...(preview?.status === 'ok' && !rehearsal ? { chosenBy: preview.lines } : {}) }) : [];
  const confirm = needsConfirmation(targets, target, state.clean);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={confirm ? theme.bad : theme.accent} wrap="truncate">
        {headline(targets, target)}
      </Text>
      {preview?.status === 'checking' && <Text color={theme.muted}>{rehearsal ? rehearsal.checking : 'choosing the backup and checking that the archive reaches the point…'}</Text>}
      {preview?.status === 'refused' && <Sentence mark="✗" text={`refused, nothing was touched: ${preview.error}`} color={theme.bad} width={width} />}
      {lines.map((line, i) => (
        <Box key={i} width={width}>
          <Box width={4} flexShrink={0}>
            <Text>{`${i + 1}.`.padStart(3)}</Text>
          </Box>
          <Box width={width - 4}>
            <Text wrap="wrap" color={/DROP|PRODUCTION|data is lost/.test(line) ? theme.bad : undefined}>
              {line}
            </Text>
          </Box>
        </Box>
      ))}
      {rehearsal && preview?.status === 'ok' && (
        <Box flexDirection="column" width={width}>
          <Text bold>dry run answered:</Text>
          {preview.lines.map((line, i) => (
            <Text key={i} wrap="wrap">
              {'  '}
              {line}
            </Text>
          ))}
        </Box>
      )}
      <Text> </Text>
      {state.step === 'review' && preview?.status === 'refused' && <Text>esc: back, to change the point or the target</Text>}
      {state.step === 'review' && preview?.status !== 'checking' && preview?.status !== 'refused' && (
        <Text>
          {confirm ? 'enter: go on to confirm' : rehearsal ? `enter: ${rehearsal.go}` : 'enter: start the restore'}
          {cleanApplies(targets, target.kind) ? ' · c: toggle clean' : ''} · esc: back
        </Text>
      )}
      {state.step === 'confirm' && (
        <Text>
          {confirmPrompt(targets, target)} Type <Text bold>{component}</Text> to confirm: <Text inverse>{state.confirmText || ' '}</Text>
        </Text>
      )}
    </Box>
  );
}

/** The package function for the chosen target: a drill never touches production; anything else is `lifeboat restore` with the same flags. */
async function restoreInto(
  ctx: OperationsContext,
  component: string,
  backupId: string,
  targets: Targets,
  target: Chosen,
  clean: boolean,
  onReport: (lines: string[]) => void,
): Promise<{ exitCode: number }> {
  if (target.kind === 'drill') return drill(ctx, [component], { backupId });
  const outcome = await restore(ctx, { component, backupId }, restoreRequest(targets, target, clean));
  if (outcome.report) onReport(outcome.report.lines);
  return { exitCode: 0 };
}

/** The restore with its rehearsal's options (a dry run): what it reported, or the steps it said; it throws what the CLI would print. */
async function rehearse(services: TuiServices, component: string, backupId: string, request: RestoreRequest, signal: AbortSignal): Promise<string[]> {
  const steps: string[] = [];
  const ctx = services.engine((event) => {
    if (event.type === 'step' && event.component === component) steps.push(event.message);
  }, signal);
  const outcome = await restore(ctx, { component, backupId }, request);
  return outcome.report?.lines ?? steps;
}

/** How many rows lines take once wrapped to `width`. */
function rowsOf(lines: string[] | undefined, width: number): number {
  return (lines ?? []).reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / Math.max(1, width))), 0);
}

function resultOf(run: RunState, component: string, report: string[] | undefined): RestoreResult {
  const checks = run.restored?.checks ?? [];
  const passed = checks.filter((c) => c.ok).length;
  const summary =
    run.outcome === 'ok'
      ? `${passed}/${checks.length} checks match: restored ${run.restored?.backupId ?? ''} into ${run.restored?.target ?? ''}`
      : `restore of ${component} ${run.outcome === 'cancelled' ? 'was cancelled' : `failed: ${run.failures.at(-1) ?? 'see the log'}`}`;
  return { exitCode: run.exitCode ?? (run.outcome === 'ok' ? 0 : 1), summary, ...(report && run.outcome === 'ok' ? { report } : {}) };
}
