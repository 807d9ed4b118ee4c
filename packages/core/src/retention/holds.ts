/**
 * Legal holds as times. A bare date means its whole UTC day: `to: 2026-11-03`
 * covers backups finished on the 3rd, `until: 2028-09-03` holds through the
 * end of the 3rd.
 */
import type { LegalHold, Plan } from '../plan/types.js';

const DAY = 86_400_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The first instant the hold no longer applies (midnight UTC after `until`). */
export function holdEndsAt(hold: LegalHold): number {
  return Date.parse(`${hold.until}T00:00:00Z`) + DAY;
}

export function holdIsActive(hold: LegalHold, now: Date): boolean {
  return now.getTime() < holdEndsAt(hold);
}

/** Earliest backup time covered (inclusive), or undefined for "every earlier backup". */
export function holdStartsAt(hold: LegalHold): number | undefined {
  if (hold.from === undefined) return undefined;
  return BARE_DATE.test(hold.from) ? Date.parse(`${hold.from}T00:00:00Z`) : Date.parse(hold.from);
}

/** Latest backup time covered (exclusive), or undefined for "every later backup". */
export function holdStopsAt(hold: LegalHold): number | undefined {
  if (hold.to === undefined) return undefined;
  return BARE_DATE.test(hold.to) ? Date.parse(`${hold.to}T00:00:00Z`) + DAY : Date.parse(hold.to) + 1;
}

/** Whether a backup finished at `at` falls in the hold's range (the hold may have expired). */
export function holdCovers(hold: LegalHold, at: Date): boolean {
  const start = holdStartsAt(hold);
  const stop = holdStopsAt(hold);
  const t = at.getTime();
  return (start === undefined || t >= start) && (stop === undefined || t < stop);
}

/** The plan's holds on one component, in plan order. */
export function holdsFor(plan: Pick<Plan, 'legalHolds'>, component: string): LegalHold[] {
  return plan.legalHolds.filter((hold) => hold.component === component);
}
