import { createContext, useContext, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useInput, type Key } from 'ink';
import { resolveKey, splitKeys, typedText, type Command, type Scope } from './keys.js';

type Handler = (input: string, key: Key) => boolean;

interface Entry {
  handler: Handler;
  scopes: readonly Scope[];
}

interface Router {
  register(entry: Entry): () => void;
  rescoped(entry: Entry): void;
}

const RouterContext = createContext<Router | undefined>(undefined);
const ScopesContext = createContext<readonly Scope[]>([]);

/** The scopes of the screen that has the keyboard, for the footer's hints. */
export const useActiveScopes = () => useContext(ScopesContext);

/**
 * One `useInput` for the whole app. The most recently activated screen hook
 * sees a key first; what it does not handle falls through to `fallback` (the
 * app's global keys). So `esc` steps back inside the wizard before it leaves
 * it, and `q` typed into a field is a letter, not a quit.
 */
export function KeyRouter({ fallback, children }: { fallback: Handler; children: ReactNode }) {
  const entries = useRef<Entry[]>([]);
  const fallbackRef = useRef(fallback);
  fallbackRef.current = fallback;
  const [scopes, setScopes] = useState<readonly Scope[]>([]);
  // Keys are handled in order, one per macrotask, so a burst (a paste of
  // keystrokes, tmux send-keys) lets each screen change land and draw before
  // the next key; handlers read state through latest() getters regardless.
  const queue = useRef<Array<[string, Key]>>([]);
  const draining = useRef(false);
  const drain = () => {
    const next = queue.current.shift();
    if (!next) {
      draining.current = false;
      return;
    }
    const [input, key] = next;
    try {
      const top = entries.current.at(-1);
      if (!top?.handler(input, key)) fallbackRef.current(input, key);
    } finally {
      // A key whose handler throws must not stop the keys after it.
      setImmediate(drain);
    }
  };
  useInput((input, key) => {
    // A chunk of several keys (tmux send-keys, a fast typist over SSH) is queued as those keys.
    queue.current.push(...splitKeys(input, key));
    if (draining.current) return;
    draining.current = true;
    setImmediate(drain);
  });
  const router = useMemo<Router>(() => {
    const publish = () => setScopes(entries.current.at(-1)?.scopes ?? []);
    return {
      register(entry) {
        entries.current.push(entry);
        publish();
        return () => {
          entries.current = entries.current.filter((e) => e !== entry);
          publish();
        };
      },
      rescoped(entry) {
        if (entries.current.at(-1) === entry) publish();
      },
    };
  }, []);
  return (
    <RouterContext.Provider value={router}>
      <ScopesContext.Provider value={scopes}>{children}</ScopesContext.Provider>
    </RouterContext.Provider>
  );
}

/** What a screen listens to right now: computed when a key arrives, from the latest state, not the last frame. */
export interface KeyMode {
  /** Most specific first; the global scope is always offered last. */
  scopes: readonly Scope[];
  /** Typing mode: printable keys go here; only the `text` scope's commands apply. */
  onText?: (text: string) => void;
}

/**
 * A screen's keys: commands resolved in the scopes of `mode()` go to
 * `onCommand`, which returns false for a command it did not use so the
 * app's global keys get it. `mode` and `onCommand` must read state through
 * `latest()` getters (see useLatestReducer), never from render closures.
 */
export function useKeys(mode: () => KeyMode, onCommand: (command: Command) => boolean | void, opts: { active?: boolean } = {}): void {
  const router = useContext(RouterContext);
  const latest = useRef({ mode, onCommand });
  latest.current = { mode, onCommand };
  const entry = useRef<Entry | undefined>(undefined);
  const active = opts.active ?? true;
  const current = mode();
  const scopeKey = (current.onText ? ['text'] : current.scopes).join(' ');

  // Layout effects: registered in the same synchronous commit that draws the
  // screen, so a key typed as soon as it shows reaches it.
  useLayoutEffect(() => {
    if (!router || !active) return;
    const mine: Entry = {
      scopes: scopeKey.split(' ') as Scope[],
      handler: (input, key) => {
        const { mode: now, onCommand: handle } = latest.current;
        const { scopes, onText } = now();
        if (onText) {
          const command = resolveKey(['text'], input, key);
          if (command) return handle(command) !== false;
          const text = typedText(input, key);
          if (text === undefined) return false;
          onText(text);
          return true;
        }
        // Global keys are offered to the screen first: the wizard takes esc to step back, a runbook to ask first.
        const command = resolveKey([...scopes, 'global'], input, key);
        return command !== undefined && handle(command) !== false;
      },
    };
    entry.current = mine;
    return router.register(mine);
    // Registered once per activation; scope changes are published below without losing the place on the stack.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [router, active]);

  useLayoutEffect(() => {
    if (!router || !entry.current) return;
    entry.current.scopes = scopeKey.split(' ') as Scope[];
    router.rescoped(entry.current);
  }, [router, scopeKey]);
}
