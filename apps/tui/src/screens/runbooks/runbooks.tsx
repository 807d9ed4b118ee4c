import { useEffect, useMemo, useRef } from 'react';
import { Box, Text } from 'ink';
import { describeError, formatDuration } from '@lifeboat/core';
import { runbookStep } from '@lifeboat/operations';
import { clip, windowStart } from '../../format.js';
import { DEFAULT_RUNBOOKS } from '../../runbooks/defaults.js';
import { runbooksFor } from '../../runbooks/merge.js';
import type { TuiServices } from '../../services.js';
import { useLatestReducer } from '../../use-latest-reducer.js';
import { useTheme, type Theme } from '../../theme.js';
import { useNow } from '../../use-now.js';
import { RunPanel } from '../live/run-panel.js';
import { applyLiveIntent } from '../live/use-live-keys.js';
import { useRun } from '../live/use-run.js';
import { RestoreWizard, type RestoreResult } from '../restore/restore.js';
import { initialRunbooks, isFinished, runbooksReducer, sessionDetails, stepKind, type RunbooksState, type Session, type StepRecord } from './runbooks-state.js';
import { recordSession, runbookScope, stepRefusal } from './steps.js';
import { useRunbooksKeys, type RunbooksIntent } from './use-runbooks-keys.js';
import { Frame } from '../../frame.js';
import { Sentence } from '../../sentence.js';

interface Props {
  services: TuiServices;
  /** Selected on the dashboard: which one a restore picks when the scenario is about several components. */
  component: string;
  width: number;
  height: number;
  back: () => void;
}

/** The guide's disaster scenarios as timed checklists; a finished one goes into the journal with its RTO actual. */
export function Runbooks({ services, component, width, height, back }: Props) {
  const theme = useTheme();
  const entries = useMemo(() => runbooksFor(services.plan, DEFAULT_RUNBOOKS, services.registry), [services.plan, services.registry]);
  const [state, dispatch, latest] = useLatestReducer(runbooksReducer, () => initialRunbooks);
  const run = useRun(services);
  const session = state.session;

  const perform = (intent: Exclude<RunbooksIntent, { kind: 'dispatch' }>) => {
    const now = latest();
    if (intent.kind === 'open') {
      const chosen = entries[now.selected];
      if (chosen) dispatch({ type: 'open', runbook: chosen.runbook, scope: runbookScope(chosen.runbook, services.plan, component) });
    } else if (intent.kind === 'finish') dispatch({ type: 'finish', at: Date.now() });
    else if (intent.kind === 'live') applyLiveIntent(intent.intent, run);
    else if (now.session) execute(now.session, intent.index);
  };

  const execute = (s: Session, index: number) => {
    const step = s.runbook.steps[index]!;
    const refusal = stepRefusal(s, index);
    if (refusal) {
      dispatch({ type: 'problem', text: refusal });
      return;
    }
    const targets = s.targets[index] ?? [];
    if (step.action?.type === 'restore') {
      dispatch({ type: 'stepStarted', index, at: Date.now(), wizard: true });
      return;
    }
    dispatch({ type: 'stepStarted', index, at: Date.now() });
    const destinations = [...new Set(targets.flatMap((t) => services.plan.components[t]?.destinations ?? []))];
    const title = step.command ? `step ${index + 1}: ${step.command}` : `step ${index + 1}: ${step.action?.type} of ${targets.join(', ')}`;
    void run.start({ title, destinations }, (ctx) => runbookStep(ctx, step, targets, run.line));
  };

  // A step's run is over: its outcome, exit code and last lines go into the checklist.
  const settledFor = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!session || session.running === undefined || session.wizard || run.state.phase !== 'done') return;
    if (settledFor.current === run.state.startedAt) return;
    settledFor.current = run.state.startedAt;
    dispatch({
      type: 'stepFinished',
      index: session.running,
      at: run.state.finishedAt ?? Date.now(),
      exitCode: run.state.exitCode ?? (run.state.outcome === 'ok' ? 0 : 1),
      output: run.state.log.slice(-12),
      ...(run.state.failures.length ? { error: run.state.failures.at(-1)! } : {}),
    });
  }, [session, run.state]);

  // Finished: write the run record once.
  useEffect(() => {
    if (!session || !isFinished(session) || session.recording) return;
    const warnings: string[] = [];
    dispatch({ type: 'recording' });
    recordSession(services, session, (m) => warnings.push(m)).then(
      (id) => dispatch({ type: 'recorded', id, warnings }),
      (err: unknown) => dispatch({ type: 'recorded', warnings: [...warnings, `the run record could not be written: ${describeError(err)}`] }),
    );
  }, [session, services]);

  const wizardOpen = session?.wizard === true && session.running !== undefined;
  useRunbooksKeys(latest, run, { count: () => countOf(latest(), entries.length), page: 5, active: !wizardOpen, dispatch, perform });

  if (session && wizardOpen) {
    const index = session.running!;
    const step = session.runbook.steps[index]!;
    const onExit = (result: RestoreResult | undefined) =>
      dispatch(
        result
          ? { type: 'stepFinished', index, at: Date.now(), exitCode: result.exitCode, output: [result.summary, ...(result.report ?? [])] }
          : { type: 'stepAbandoned', index },
      );
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text color={theme.accent} wrap="truncate">
          {session.runbook.title} · step {index + 1}: {step.title}
        </Text>
        <RestoreWizard
          services={services}
          component={session.targets[index]![0]!}
          {...(step.action?.target ? { targetKind: step.action.target } : {})}
          width={width} height={height - 1} back={back} onExit={onExit} />
      </Box>
    );
  }
  if (session) return <SessionView session={session} run={run.state} theme={theme} width={width} height={height} services={services} />;

  const chosen = entries[state.selected];
  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">The guide&apos;s disaster scenarios · each acts on the components it is about</Text>
      <Text> </Text>
      {entries.map((e, i) => {
        const automated = e.runbook.steps.filter((s) => stepKind(s) !== 'manual').length;
        return (
          <Text key={e.runbook.id} inverse={i === state.selected} wrap="truncate">
            {i === state.selected ? '› ' : '  '}
            {e.runbook.title.padEnd(28)} {String(e.runbook.steps.length).padStart(2)} steps, {automated} automated
            {e.source === 'plan' ? ' · from the plan' : ''}
          </Text>
        );
      })}
      <Text> </Text>
      {chosen && (
        <Box flexDirection="column">
          <Text wrap="truncate">
            About: <Text bold>{runbookScope(chosen.runbook, services.plan, component).components.join(', ') || `${chosen.runbook.about?.join(', ')} (none in this plan)`}</Text>
          </Text>
          <Text bold>How it shows itself</Text>
          {chosen.runbook.detection.map((d, i) => (
            <Text key={i} wrap="truncate">
              {'  '}• {d}
            </Text>
          ))}
        </Box>
      )}
    </Frame>
  );
}

const countOf = (s: RunbooksState, runbooks: number) => (s.session ? s.session.steps.length : runbooks);

const MARKS: Record<StepRecord['status'], string> = { pending: '·', running: '▶', done: '✓', failed: '✗', skipped: '-' };

function SessionView({ session, run, theme, width, height, services }: { session: Session; run: Parameters<typeof RunPanel>[0]['run']; theme: Theme; width: number; height: number; services: TuiServices }) {
  const finished = isFinished(session);
  const now = useNow(session.startedAt !== undefined && !finished);
  const elapsed = session.startedAt === undefined ? 0 : (session.finishedAt ?? now) - session.startedAt;
  // Several components: the recovery is done when the slowest may be back.
  const rtos = session.components.flatMap((c) => services.plan.components[c]?.rto ?? []);
  const rto = rtos.length > 0 ? Math.max(...rtos) : undefined;
  const steps = session.runbook.steps;
  const stepRows = Math.min(steps.length, Math.max(3, height - 11));
  const first = windowStart(session.selected, steps.length, stepRows);
  const step = steps[session.selected]!;
  const record = session.steps[session.selected]!;
  const detailHeight = Math.max(3, height - stepRows - 5);
  const color = (st: StepRecord['status']) => (st === 'done' ? theme.ok : st === 'failed' ? theme.bad : st === 'running' ? theme.accent : st === 'skipped' ? theme.muted : undefined);

  return (
    <Frame width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{session.runbook.title}</Text> · for {session.components.join(', ') || 'no component of this plan'} · timer {session.startedAt === undefined ? 'not started' : formatDuration(elapsed)}
        {rto !== undefined ? ` (RTO ${formatDuration(rto)})` : ''}
      </Text>
      <Text color={theme.muted} wrap="truncate">
        {clip(`detection: ${session.runbook.detection.join(' · ')}`, width)}
      </Text>
      {steps.slice(first, first + stepRows).map((st, i) => {
        const index = first + i;
        const r = session.steps[index]!;
        const kind = st.command ? `$ ${st.command}` : st.action ? `${st.action.type} ${st.action.type === 'status' ? '' : (session.targets[index] ?? []).join(', ')}`.trim() : 'manual';
        const failed = r.status === 'failed' ? `exit ${r.exitCode ?? 1} · ` : '';
        const outcome = r.note ? ` · ${r.note}` : '';
        return (
          <Text key={index} inverse={index === session.selected} wrap="truncate" color={color(r.status)}>
            {index === session.selected ? '› ' : '  '}
            {MARKS[r.status]} {String(index + 1).padStart(2)} {st.title.padEnd(40).slice(0, 40)} {failed}
            {kind}
            {outcome}
          </Text>
        );
      })}
      <Text> </Text>
      <Frame width={width} height={detailHeight}>
        {finished ? (
          <Finished session={session} theme={theme} width={width} destinations={Object.keys(services.plan.destinations).length} />
        ) : run.phase !== 'idle' && session.running === session.selected ? (
          <RunPanel run={run} width={width} height={detailHeight} />
        ) : (
          <>
            <Text bold wrap="truncate">
              {session.selected + 1}. {step.title}
              {record.status !== 'pending' ? ` — ${record.status}${record.exitCode !== undefined ? ` (exit ${record.exitCode})` : ''}` : ''}
            </Text>
            {step.detail && <Text wrap="wrap">{step.detail}</Text>}
            {record.error && <Sentence mark="✗" text={record.error} color={theme.bad} width={width} />}
            {record.output
              .filter((line) => line !== record.error)
              .slice(-(detailHeight - 4))
              .map((line, i) => (
                <Text key={i} wrap="truncate">
                  {'  '}
                  {line}
                </Text>
              ))}
          </>
        )}
      </Frame>
      {session.typingNote && (
        <Text>
          note for step {session.selected + 1}: <Text inverse>{session.note || ' '}</Text>
        </Text>
      )}
      {session.asking === 'finish' && (
        <Text color={theme.warn} wrap="wrap">
          {session.steps.filter((r) => r.status === 'pending').length} step(s) not done. Finish and record anyway? y yes · n no
        </Text>
      )}
      {session.asking === 'leave' && (
        <Text color={theme.warn} wrap="wrap">
          Leave without recording this run? The timer and step outcomes are lost. y yes · n no
        </Text>
      )}
      {session.problem && <Sentence mark="!" text={session.problem} color={theme.warn} width={width} />}
    </Frame>
  );
}

function Finished({ session, theme, width, destinations }: { session: Session; theme: Theme; width: number; destinations: number }) {
  const { exitCode, rtoActualMs, steps } = sessionDetails(session);
  const counts = ['done', 'skipped', 'failed', 'not done']
    .map((o) => [o, steps.filter((s) => s.outcome === o).length] as const)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
  return (
    <Box flexDirection="column">
      <Text bold color={exitCode === 0 ? theme.ok : theme.warn}>
        {exitCode === 0 ? '✓' : '!'} recovery took {formatDuration(rtoActualMs)} · {counts}
      </Text>
      <Text>
        {session.recording === 'written'
          ? `recorded as run ${session.recordId ?? ''} in the journal of ${destinations - session.recordWarnings.length}/${destinations} destinations; History shows it against the RTO`
          : 'writing the run record to every destination…'}
      </Text>
      {session.recordWarnings.map((w, i) => (
        <Sentence key={i} mark="!" text={w} color={theme.warn} width={width} />
      ))}
      <Text color={theme.muted}>esc: back to the runbooks</Text>
    </Box>
  );
}
