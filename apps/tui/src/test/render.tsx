import { render } from 'ink-testing-library';
import { expect, vi } from 'vitest';
import { App } from '../app.js';
import type { TuiServices } from '../services.js';

/** What a terminal sends for the keys the TUI uses. */
export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  esc: '\u001B',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;
export const plain = (text: string) => text.replace(ANSI, '');

/**
 * The whole app at 80×24 in ink-testing-library: type with `press`, then
 * `see` waits (polling the last frame, never sleeping a fixed time) until
 * the screen shows what a person would look for.
 */
export interface RenderedApp {
  /** Exit codes the app reported (q). */
  exits: number[];
  /** The last frame without ANSI codes. */
  frame(): string;
  /** The last frame as written, colour codes and all. */
  raw(): string;
  press(...keys: string[]): void;
  see(expected: string | RegExp, timeout?: number): Promise<string>;
  /** Waits until the screen no longer shows `text`. */
  gone(text: string, timeout?: number): Promise<string>;
  /** Waits for a sentence that may be wrapped over several lines. */
  seeWrapped(sentence: string, timeout?: number): Promise<string>;
  unmount(): void;
}

export function renderApp(services: TuiServices, opts: { color?: boolean; columns?: number; rows?: number; refreshMs?: number } = {}): RenderedApp {
  const exits: number[] = [];
  const app = render(
    <App
      services={services}
      color={opts.color ?? true}
      size={{ columns: opts.columns ?? 80, rows: opts.rows ?? 24 }}
      refreshMs={opts.refreshMs ?? 60_000}
      onExit={(code) => exits.push(code)}
    />,
  );
  const frame = () => plain(app.lastFrame() ?? '');
  return {
    unmount: () => app.unmount(),
    exits,
    frame,
    raw: () => app.lastFrame() ?? '',
    press: (...keys: string[]) => {
      for (const key of keys) app.stdin.write(key);
    },
    see: async (expected: string | RegExp, timeout = 10_000) => {
      await vi.waitFor(
        () => {
          const f = frame();
          if (typeof expected === 'string') expect(f).toContain(expected);
          else expect(f).toMatch(expected);
        },
        { timeout, interval: 25 },
      );
      return frame();
    },
    gone: async (text: string, timeout = 10_000) => {
      await vi.waitFor(() => expect(frame()).not.toContain(text), { timeout, interval: 25 });
      return frame();
    },
    seeWrapped: async (sentence: string, timeout = 10_000) => {
      const flat = (t: string) => t.replace(/\s+/g, ' ');
      await vi.waitFor(() => expect(flat(frame())).toContain(flat(sentence)), { timeout, interval: 25 });
      return frame();
    },
  };
}
