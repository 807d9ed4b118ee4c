import { createContext } from 'react';

/**
 * Tells the app what is running, so `q` and `esc` refuse to walk away from a
 * half-done run. Reported synchronously as runs start and settle, never from
 * an effect, so no key can slip in between a run ending and the app knowing.
 */
export const BusyContext = createContext<(owner: object, label: string | undefined) => void>(() => undefined);
