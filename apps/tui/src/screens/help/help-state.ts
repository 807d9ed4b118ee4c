/** How far help is scrolled (only when the terminal is too short for every key). */
export type HelpAction = { type: 'scroll'; by: number; max: number };

export function helpReducer(offset: number, action: HelpAction): number {
  return Math.min(action.max, Math.max(0, offset + action.by));
}
