/**
 * Durations as plans write them (`30d`, `24h`, `1h30m`, `0`) and as people read
 * them in output (`1d 2h`). Values are milliseconds.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Largest first: parts of a written duration must follow this order. */
const UNITS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ['y', 365 * DAY],
  ['w', 7 * DAY],
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
];

const PART = /(\d+)([ywdhms])\s*/y;

/**
 * `0`, or one or more `<integer><unit>` parts with units y (365 days), w, d, h,
 * m, s, largest first and each at most once: `90s`, `24h`, `1h30m`, `1d 12h`.
 * Anything else (`24 hours`, `1.5h`, `-1h`, `30m1h`) is undefined, because a
 * misread retention or RPO is worse than a refused one.
 */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') return undefined;

  let total = 0;
  let nextUnit = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const match = PART.exec(input);
    if (!match) return undefined;
    const [, digits, unit] = match;
    const index = UNITS.findIndex(([u]) => u === unit);
    // Repeated or out-of-order units (`1h1h`, `30m1h`) are more likely typos than intent.
    if (index < nextUnit) return undefined;
    nextUnit = index + 1;
    total += Number(digits) * UNITS[index]![1];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Days, hours, minutes, seconds: weeks and years read worse in output (`4w 2d` vs `30d`). */
const FORMAT_UNITS = UNITS.slice(2);

/**
 * Compact and human: the two largest non-zero units, truncated (`1d 2h`, `45m`,
 * `1m 30s`); under a second as `250ms`; zero as `0s`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < SECOND) return `${Math.round(ms)}ms`;

  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of FORMAT_UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
    else if (parts.length > 0) break; // `1d 0h 5m` would read as more precise than `1d` is
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
