import { createContext, useContext } from 'react';
import type { Health } from '@lifeboat/verify';

/**
 * Colours by meaning, not by name. With NO_COLOR every colour is undefined and
 * the screens still say everything with words and marks (✓ ! ✗), never by
 * colour alone.
 */
export interface Theme {
  color: boolean;
  ok?: string;
  warn?: string;
  bad?: string;
  accent?: string;
  muted?: string;
}

export function makeTheme(color: boolean): Theme {
  return color ? { color, ok: 'green', warn: 'yellow', bad: 'red', accent: 'cyan', muted: 'gray' } : { color };
}

/** NO_COLOR (https://no-color.org): present and not empty means no colour. */
export function colorWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export function healthColor(theme: Theme, health: Health | 'never'): string | undefined {
  if (health === 'ok') return theme.ok;
  if (health === 'warning') return theme.warn;
  return theme.bad;
}

export function healthMark(health: Health | 'never'): string {
  return health === 'ok' ? '✓' : health === 'warning' ? '!' : '✗';
}

const ThemeContext = createContext<Theme>(makeTheme(false));
export const ThemeProvider = ThemeContext.Provider;
export const useTheme = () => useContext(ThemeContext);
