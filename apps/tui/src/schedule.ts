import { formatDuration, type Schedule } from '@lifeboat/core';

interface CronLike {
  nextRun(from?: Date): Date | null;
}
type CronClass = new (pattern: string, options: { mode?: string; paused?: boolean }) => CronLike;

let cronClass: Promise<CronClass | undefined> | undefined;

/**
 * croner (what the plan loader validates schedules with) when this package
 * can resolve it; it is @lifeboat/core's dependency, not ours, so without it
 * the schedule is shown as written. The specifier is a variable so that a
 * missing package is a runtime fallback, not a build error.
 */
export function loadCron(): Promise<CronClass | undefined> {
  const specifier = 'croner';
  cronClass ??= import(/* @vite-ignore */ specifier).then(
    (m: { Cron?: CronClass }) => m.Cron,
    () => undefined,
  );
  return cronClass;
}

/** When the component runs next, as people read it: `in 5h 3m`, else the schedule itself. */
export function nextRunText(schedule: Schedule, now: Date, Cron: CronClass | undefined): string {
  if (schedule.kind === 'on-change') return 'on change';
  if (schedule.kind === 'continuous') return 'continuous';
  if (!Cron) return schedule.expression;
  try {
    const next = new Cron(schedule.expression, { mode: '5-part', paused: true }).nextRun(now);
    return next ? `in ${formatDuration(Math.max(1000, next.getTime() - now.getTime()))}` : schedule.expression;
  } catch {
    return schedule.expression;
  }
}
