/**
 * Backups dated in the future were written by a host whose clock ran ahead
 * (or under `LIFEBOAT_NOW`). Their times cannot be believed, so retention does
 * not count them and status does not call them fresh. Clocks of different
 * hosts disagree by seconds, sometimes minutes: that much is not "future".
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/**
 * How far `at` is ahead of `now` when that is more than the tolerance;
 * undefined for any time at or before it (and for an unreadable time). A
 * manifest's `finishedAt` is the latest of a backup's times (its id and
 * `startedAt` come before it from the same clock), so judging it judges them all.
 */
export function aheadOfNow(at: Date, now: Date): number | undefined {
  const ahead = at.getTime() - now.getTime();
  return ahead > CLOCK_SKEW_TOLERANCE_MS ? ahead : undefined;
}
