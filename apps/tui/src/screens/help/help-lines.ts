import { KEY_TABLE } from '../../keys.js';

export interface HelpLine {
  text: string;
  title: boolean;
}

/** Every group of the key table as lines of at most `width` columns (help's own keys are in the footer). */
export function helpGroups(width: number): HelpLine[][] {
  const groups = KEY_TABLE.filter((g) => g.scope !== 'help');
  const labelWidth = Math.max(...groups.flatMap((g) => g.bindings.map((b) => b.label.length))) + 1;
  return groups.map((group) => [
    { text: group.title, title: true },
    ...group.bindings.map((b) => ({ text: ` ${b.label.padEnd(labelWidth)}${b.help}`.slice(0, width), title: false })),
  ]);
}

/**
 * Groups packed into `columns` columns of `height` rows without splitting a
 * group; when they do not fit, lines simply flow and scroll by `offset`.
 */
export function helpColumns(groups: HelpLine[][], columns: number, height: number, offset: number): HelpLine[][] {
  const packed: HelpLine[][] = [[]];
  for (const group of groups) {
    const current = packed.at(-1)!;
    if (current.length > 0 && current.length + group.length > height) packed.push([...group]);
    else current.push(...group);
  }
  if (packed.length <= columns && packed.every((c) => c.length <= height)) return packed;
  const lines = groups.flat();
  const perColumn = Math.max(height, Math.ceil(lines.length / columns));
  const start = Math.min(Math.max(0, offset), Math.max(0, perColumn - height));
  return Array.from({ length: columns }, (_, i) => lines.slice(i * perColumn, (i + 1) * perColumn).slice(start, start + height));
}

/** How far help can scroll (0 when everything fits). */
export function helpMaxOffset(groups: HelpLine[][], columns: number, height: number): number {
  const lines = groups.flat().length;
  const fits = helpColumns(groups, columns, height, 0).flat().length === lines;
  return fits ? 0 : Math.max(0, Math.ceil(lines / columns) - height);
}
