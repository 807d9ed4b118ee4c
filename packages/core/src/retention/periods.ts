/**
 * The calendar periods `keepHourly` … `keepYearly` count, in UTC so that a
 * decision never depends on the server's time zone or a DST change. Weeks are
 * ISO 8601 weeks (Monday to Sunday; week 1 holds the year's first Thursday),
 * as restic counts them.
 */
export type PeriodRule = 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly';

export const PERIOD_RULES: readonly PeriodRule[] = ['keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'];

/** The period holding `at`, as a label that is also its identity: `2026-02-12T14Z`, `2026-02-12`, `2026-W07`, `2026-02`, `2026`. */
export function periodOf(rule: PeriodRule, at: Date): string {
  const iso = at.toISOString();
  switch (rule) {
    case 'keepHourly':
      return `${iso.slice(0, 13)}Z`;
    case 'keepDaily':
      return iso.slice(0, 10);
    case 'keepWeekly': {
      const { year, week } = isoWeek(at);
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
    case 'keepMonthly':
      return iso.slice(0, 7);
    case 'keepYearly':
      return iso.slice(0, 4);
  }
}

/** ISO 8601 week-numbering year and week of a UTC instant (2027-01-01 is in 2026-W53). */
export function isoWeek(at: Date): { year: number; week: number } {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7; // Monday 1 … Sunday 7
  // The Thursday of this week decides the year the week belongs to.
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return { year, week };
}
