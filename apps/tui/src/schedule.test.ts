import { describe, expect, test } from 'vitest';
import { loadCron, nextRunText } from './schedule.js';

const at = new Date('2026-02-14T01:00:00Z');

describe('next run', () => {
  test('without croner the cron schedule is shown as written', () => {
    expect(nextRunText({ kind: 'cron', expression: '0 2 * * *' }, at, undefined)).toBe('0 2 * * *');
  });

  test('on-change says so', () => {
    expect(nextRunText({ kind: 'on-change' }, at, undefined)).toBe('on change');
  });

  test('with a cron implementation, the time until the next run', () => {
    class Cron {
      constructor(readonly pattern: string) {}
      nextRun(from?: Date) {
        return new Date((from ?? at).getTime() + 3_600_000 + 5 * 60_000);
      }
    }
    expect(nextRunText({ kind: 'cron', expression: '0 2 * * *' }, at, Cron)).toBe('in 1h 5m');
  });

  test('croner, when it resolves, computes the real next run; otherwise the fallback', async () => {
    const Cron = await loadCron();
    const text = nextRunText({ kind: 'cron', expression: '0 2 * * *' }, at, Cron);
    expect(text === '0 2 * * *' || /^in \d/.test(text)).toBe(true);
  });
});
