import { render } from 'ink';
import { App } from './app.js';
import { createServices, type TuiOptions } from './services.js';
import { colorWanted } from './theme.js';

const ALTERNATE_SCREEN_ON = '\u001B[?1049h\u001B[H';
const ALTERNATE_SCREEN_OFF = '\u001B[?1049l';

/**
 * Renders the app on the given streams and resolves with the exit code when
 * the person quits (`q`). Full-screen on a terminal (the alternate screen, so
 * the shell's scrollback is left as it was).
 */
export async function runTui(opts: TuiOptions): Promise<number> {
  const services = createServices(opts);
  const fullScreen = opts.stdout.isTTY === true;
  let exitCode = 0;
  let crash: string | undefined;
  if (fullScreen) opts.stdout.write(ALTERNATE_SCREEN_ON);
  const instance = render(<App services={services} color={colorWanted(opts.env)} onExit={(code) => (exitCode = code)} />, {
    stdout: opts.stdout,
    stdin: opts.stdin,
    exitOnCtrlC: false,
    patchConsole: true,
    incrementalRendering: false,
  });
  try {
    await instance.waitUntilExit();
  } catch (err) {
    exitCode = 1;
    crash = err instanceof Error ? err.message : String(err);
  } finally {
    instance.cleanup();
    if (fullScreen) opts.stdout.write(ALTERNATE_SCREEN_OFF);
  }
  // After leaving the alternate screen, so the sentence stays in the scrollback.
  if (crash) opts.stdout.write(`lifeboat tui: ${crash}\n`);
  return exitCode;
}
