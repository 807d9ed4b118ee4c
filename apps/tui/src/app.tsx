import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useStdout, type Key } from 'ink';
import { appReducer, initialApp, topOf, TITLES, type Route } from './app-state.js';
import { BusyContext } from './busy.js';
import { useLatestReducer } from './use-latest-reducer.js';
import { KeyRouter, useActiveScopes } from './key-router.js';
import { footerHints, resolveKey } from './keys.js';
import { loadCron } from './schedule.js';
import type { TuiServices } from './services.js';
import { makeTheme, ThemeProvider, useTheme } from './theme.js';
import { Backups } from './screens/backups/backups.js';
import { Dashboard } from './screens/dashboard/dashboard.js';
import { useDashboardData } from './screens/dashboard/use-dashboard-data.js';
import { Help } from './screens/help/help.js';
import { History } from './screens/history/history.js';
import { Live } from './screens/live/live.js';
import { RestoreWizard } from './screens/restore/restore.js';
import { Runbooks } from './screens/runbooks/runbooks.js';

const FORCE_QUIT_WINDOW_MS = 3_000;

export interface AppProps {
  services: TuiServices;
  color: boolean;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** How often the dashboard re-reads the destinations. */
  refreshMs?: number;
  onExit?: (exitCode: number) => void;
}

/** Title bar, the screen on top of the stack, a notice line and the key hints of whatever has the keyboard. */
export function App({ services, color, size, refreshMs = 10_000, onExit }: AppProps) {
  const [state, dispatch, latestApp] = useLatestReducer(appReducer, () => initialApp);
  const { exit } = useApp();
  const terminal = useTerminalSize(size);
  const route = topOf(state);
  const theme = useMemo(() => makeTheme(color), [color]);

  const busyOwners = useRef(new Map<object, string>());
  /** When ctrl+c was last refused during a run: a second one soon after leaves anyway. */
  const forceQuit = useRef(0);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const reportBusy = useCallback((owner: object, label: string | undefined) => {
    if (label) busyOwners.current.set(owner, label);
    else busyOwners.current.delete(owner);
    setBusy([...busyOwners.current.values()][0]);
  }, []);

  const [cron, setCron] = useState<Awaited<ReturnType<typeof loadCron>>>(undefined);
  useEffect(() => {
    void loadCron().then((c) => setCron(() => c));
  }, []);

  const dashboard = useDashboardData(services, { active: route.screen === 'dashboard' && !state.help, refreshMs });
  const navigate = useCallback((r: Route) => dispatch({ type: 'push', route: r }), []);
  const back = useCallback(() => dispatch({ type: 'pop' }), []);
  const notice = useCallback((text: string) => dispatch({ type: 'notice', text }), []);

  const fallback = (input: string, key: Key): boolean => {
    // The map, not the state: a key pressed right as a run ends must see it ended.
    const busy = [...busyOwners.current.values()][0];
    const command = resolveKey(['global'], input, key);
    const help = latestApp().help;
    if (command === 'help') dispatch({ type: 'help', open: !help });
    else if (command === 'back') {
      if (busy) notice(`${busy} is running; c cancels it`);
      else dispatch(help ? { type: 'help', open: false } : { type: 'pop' });
    } else if (command === 'quit') {
      if (!busy) {
        onExit?.(0);
        exit();
      } else if (key.ctrl && Date.now() - forceQuit.current < FORCE_QUIT_WINDOW_MS) {
        // The way out when a run will not stop: leaving unmounts it, which aborts it (the engine still cleans up).
        onExit?.(130);
        exit();
      } else {
        forceQuit.current = key.ctrl ? Date.now() : 0;
        notice(key.ctrl ? `${busy} is running; c cancels it (ctrl+c again: cancel and quit)` : `${busy} is running; c cancels it, then q quits`);
      }
    } else return false;
    return true;
  };

  const columns = terminal.columns;
  // One line short of the terminal: a frame as tall as the screen makes Ink clear and redraw it all (flicker).
  const height = Math.max(8, terminal.rows - 1);
  const body = height - 3;
  const screenProps = { services, width: columns, height: body, navigate, back, notice };

  return (
    <ThemeProvider value={theme}>
      <BusyContext.Provider value={reportBusy}>
        <KeyRouter fallback={fallback}>
          <Box flexDirection="column" width={columns} height={height} overflow="hidden">
            <TitleBar services={services} title={state.help ? 'Keys' : TITLES[route.screen]} busy={busy} width={columns} />
            <Box height={body} display={state.help ? 'none' : 'flex'} overflow="hidden" flexShrink={0}>
              {route.screen === 'dashboard' && (
                <Dashboard
                  plan={services.plan}
                  state={dashboard.state}
                  latest={dashboard.latest}
                  dispatch={dashboard.dispatch}
                  navigate={navigate}
                  refresh={dashboard.refresh}
                  cron={cron}
                  now={services.now()}
                  width={columns}
                  height={body}
                />
              )}
              {route.screen === 'backups' && <Backups key={stackKey(state.stack)} component={route.component} {...screenProps} />}
              {route.screen === 'live' && (
                <Live
                  key={stackKey(state.stack)}
                  operation={route.operation}
                  component={route.component}
                  lastBytes={dashboard.state.statuses?.find((s) => s.component === route.component)?.lastBackup?.bytes}
                  {...screenProps}
                />
              )}
              {route.screen === 'restore' && <RestoreWizard key={stackKey(state.stack)} component={route.component} backupId={route.backupId} {...screenProps} />}
              {route.screen === 'runbooks' && <Runbooks key={stackKey(state.stack)} component={route.component} {...screenProps} />}
              {route.screen === 'history' && <History key={stackKey(state.stack)} {...screenProps} />}
            </Box>
            {state.help && <Help width={columns} height={body + 1} onClose={() => dispatch({ type: 'help', open: false })} />}
            {!state.help && (
              <Text color={theme.warn} wrap="truncate">
                {state.notice ?? ' '}
              </Text>
            )}
            <Footer width={columns} />
          </Box>
        </KeyRouter>
      </BusyContext.Provider>
    </ThemeProvider>
  );
}

const stackKey = (stack: Route[]) => String(stack.length);

function TitleBar({ services, title, busy, width }: { services: TuiServices; title: string; busy: string | undefined; width: number }) {
  const theme = useTheme();
  const left = `Lifeboat ${services.version} · plan ${services.plan.name} · ${title}`;
  const right = busy ? `● ${busy}` : '';
  return (
    <Text wrap="truncate" bold>
      <Text color={theme.accent}>{left}</Text>
      {right ? ' '.repeat(Math.max(1, width - left.length - right.length)) : ''}
      <Text color={theme.warn}>{right}</Text>
    </Text>
  );
}

function Footer({ width }: { width: number }) {
  const theme = useTheme();
  const scopes = useActiveScopes();
  return (
    <Text wrap="truncate" color={theme.muted}>
      {footerHints(scopes, width)}
    </Text>
  );
}

function useTerminalSize(fixed: { columns: number; rows: number } | undefined) {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed]);
  return fixed ?? size;
}
