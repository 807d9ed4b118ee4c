/** The one sentence `lifeboat tui` prints (then exits 2) when stdout is not a terminal; undefined when it is. */
export function tuiRefusal(isTTY: boolean): string | undefined {
  return isTTY
    ? undefined
    : 'lifeboat tui needs a terminal, and stdout is not one; use the headless commands (status, list, backup, restore, drill, history) in scripts and timers.';
}
