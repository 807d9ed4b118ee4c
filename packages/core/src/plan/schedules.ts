import type { DurationMs, Plan } from './types.js';

/** The plan's timers with every default filled in; `off` means no timer. */
export interface Schedules {
  timeZone: string;
  randomizedDelay: DurationMs;
  verify: { schedule: string; sample: number };
  drill: { schedule: string };
  status: { schedule: string; prometheus?: string };
  prune: { schedule: string };
  doctor: { schedule: string };
  onChangeSafety: string;
}

/**
 * The defaults follow the guide: a sampled verify every day (a tenth of the
 * copies, so everything is read every ten days), the monthly restore test,
 * status every five minutes, prune after the night's backups, doctor's
 * preflight once a day after them, and an hourly backstop for `on-change`
 * components.
 */
export const DEFAULT_SCHEDULES: Schedules = {
  timeZone: 'UTC',
  randomizedDelay: 5 * 60_000,
  verify: { schedule: '30 5 * * *', sample: 10 },
  drill: { schedule: '0 6 1 * *' },
  status: { schedule: '*/5 * * * *' },
  prune: { schedule: '0 6 * * *' },
  doctor: { schedule: '30 7 * * *' },
  onChangeSafety: '0 * * * *',
};

export function resolveSchedules(plan: Pick<Plan, 'schedules'>): Schedules {
  const s = plan.schedules ?? {};
  const d = DEFAULT_SCHEDULES;
  return {
    timeZone: s.timeZone ?? d.timeZone,
    randomizedDelay: s.randomizedDelay ?? d.randomizedDelay,
    verify: { schedule: s.verify?.schedule ?? d.verify.schedule, sample: s.verify?.sample ?? d.verify.sample },
    drill: { schedule: s.drill?.schedule ?? d.drill.schedule },
    status: { schedule: s.status?.schedule ?? d.status.schedule, ...(s.status?.prometheus ? { prometheus: s.status.prometheus } : {}) },
    prune: { schedule: s.prune?.schedule ?? d.prune.schedule },
    doctor: { schedule: s.doctor?.schedule ?? d.doctor.schedule },
    onChangeSafety: s.onChangeSafety ?? d.onChangeSafety,
  };
}
