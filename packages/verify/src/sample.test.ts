import { describe, expect, it } from 'vitest';
import { rotatingSample } from './sample.js';

describe('rotatingSample', () => {
  const items = Array.from({ length: 500 }, (_, i) => `database/backup-${i}/dest-${i % 3}`);
  const day = (n: number) => new Date(Date.UTC(2026, 1, 1) + n * 86_400_000);

  it('reads every copy exactly once over ceil(100 / pct) days', () => {
    const seen = new Map<string, number>();
    for (let n = 0; n < 10; n++) for (const item of rotatingSample(items, (x) => x, 10, day(n))) seen.set(item, (seen.get(item) ?? 0) + 1);
    expect(seen.size).toBe(items.length);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
  });

  it('takes about pct percent each day, the same subset for the same day, and everything at 100', () => {
    const today = rotatingSample(items, (x) => x, 10, day(3));
    expect(today.length).toBeGreaterThan(20);
    expect(today.length).toBeLessThan(80);
    expect(rotatingSample(items, (x) => x, 10, day(3))).toEqual(today);
    expect(rotatingSample(items, (x) => x, 100, day(3))).toEqual(items);
  });
});
