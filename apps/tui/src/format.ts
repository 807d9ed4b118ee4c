import { formatDuration } from '@lifeboat/core';

/** Cuts `text` to `width` columns, ending in … when it had to cut. */
export function clip(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** `text` clipped and padded to exactly `width` columns. */
export function cell(text: string, width: number): string {
  return clip(text, width).padEnd(width);
}

/** A horizontal bar: `fraction` (0…1) of `width` filled. */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** `2m ago`, `just now`. */
export function ago(ms: number): string {
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** Local wall-clock time `YYYY-MM-DD HH:MM`, as the person on call reads it. */
export function when(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** `HH:MM:SS` local. */
export function clock(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The first row to show so that `selected` stays inside a window of `size` rows. */
export function windowStart(selected: number, count: number, size: number): number {
  if (size <= 0 || count <= size) return 0;
  return Math.min(Math.max(0, selected - Math.floor(size / 2)), count - size);
}
