import { createHash } from 'node:crypto';

/**
 * A rotating subset, as restic's --read-data-subset: items are spread over
 * ceil(100 / pct) groups by a stable hash of their key, and day N checks group
 * N mod groups — so a daily `verify --sample 10` reads everything every 10 days.
 */
export function rotatingSample<T>(items: T[], keyOf: (item: T) => string, pct: number, now: Date): T[] {
  if (pct >= 100) return items;
  const groups = Math.ceil(100 / pct);
  const today = Math.floor(now.getTime() / 86_400_000) % groups;
  return items.filter((item) => createHash('sha256').update(keyOf(item)).digest().readUInt32BE(0) % groups === today);
}
