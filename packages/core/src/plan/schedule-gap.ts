/**
 * The longest time a cron schedule leaves between two runs, for comparing a
 * schedule with its RPO. Computed in UTC: a daylight-saving change in the
 * host's zone can stretch one gap a year by an hour, which this ignores.
 */
import { Cron } from 'croner';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Enough jumps for a year at a one-hour RPO, or a week at one minute; a bound, never reached by plans people write. */
const MAX_STEPS = 20_000;

/**
 * The longest gap between consecutive runs of `expression` (a 5-field cron,
 * already validated) that is longer than `limit` ms, over one period of the
 * schedule from `from`: a week when only minutes, hours and weekdays are
 * set, else a year and a week. Undefined when no gap exceeds `limit`.
 *
 * It jumps rather than walking every run: from a run `t`, the first run after
 * `t + limit` is `n`; only the gap that crosses `t + limit` can exceed the
 * limit, and it does exactly when no run falls in `[n - limit, n)`.
 */
export function longestGapOver(expression: string, limit: number, from: Date): number | undefined {
  // utcOffset rather than timezone: the same times, a hundred times faster in croner.
  const cron = new Cron(expression, { mode: '5-part', paused: true, utcOffset: 0 });
  const next = (after: number) => cron.nextRun(new Date(after))?.getTime();
  const [, , dayOfMonth, month] = expression.split(' ');
  const period = dayOfMonth === '*' && month === '*' ? 7 * DAY : 372 * DAY;
  const step = Math.max(limit, MINUTE - 1);

  let t = next(from.getTime());
  if (t === undefined) return undefined;
  const end = t + period;
  let longest: number | undefined;
  for (let steps = 0; t < end && steps < MAX_STEPS; steps++) {
    const n = next(t + step);
    if (n === undefined) break;
    // Runs fall on whole minutes, so `n - limit - 1` asks "is there a run at or after n - limit?".
    if (next(n - limit - 1)! >= n) {
      let p = t;
      for (let r = next(p)!; r < n; r = next(r)!) p = r;
      longest = Math.max(longest ?? 0, n - p);
    }
    t = n;
  }
  return longest;
}
