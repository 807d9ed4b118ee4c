import { execFileSync } from 'node:child_process';
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { cronToOnCalendar, OnCalendarError } from './on-calendar.js';

describe('cronToOnCalendar', () => {
  it.each([
    ['0 2 * * *', 'UTC', ['*-*-* 02:00:00 UTC']],
    ['*/15 * * * *', 'UTC', ['*-*-* *:00/15:00 UTC']],
    ['5,35 */6 * * *', 'UTC', ['*-*-* 00/6:05,35:00 UTC']],
    ['0 9-17 * * 1-5', 'UTC', ['Mon,Tue,Wed,Thu,Fri *-*-* 09..17:00:00 UTC']],
    ['0 0 * * 0', 'UTC', ['Sun *-*-* 00:00:00 UTC']],
    ['0 0 * * 7', 'UTC', ['Sun *-*-* 00:00:00 UTC']],
    ['0 22 * * 5-7', 'UTC', ['Fri,Sat,Sun *-*-* 22:00:00 UTC']],
    ['0 8 * jan,jul mon-fri', 'Europe/Berlin', ['Mon,Tue,Wed,Thu,Fri *-01,07-* 08:00:00 Europe/Berlin']],
    // cron's day-of-month OR day-of-week: one line per field.
    ['0 12 13 * 5', 'UTC', ['Fri *-*-* 12:00:00 UTC', '*-*-13 12:00:00 UTC']],
    ['0 3 */2 * *', 'UTC', ['*-*-01/2 03:00:00 UTC']],
  ])('%s in %s is %j', (cron, zone, expected) => {
    expect(cronToOnCalendar(cron, zone)).toEqual(expected);
  });

  it.each([
    ['0 0 L * *', 'day-of-month field "L" uses "L"'],
    ['0 0 15W * *', 'uses "W"'],
    ['0 0 * * 5#3', 'uses "#"'],
    ['0 0 ? * 1', 'uses "?"'],
    ['0 0 * * +1', 'uses "+"'],
    ['0 0 * * 5-2', 'runs backwards'],
  ])('refuses %s: %s', (cron, reason) => {
    expect(() => cronToOnCalendar(cron, 'UTC')).toThrow(OnCalendarError);
    expect(() => cronToOnCalendar(cron, 'UTC')).toThrow(reason);
  });
});

/**
 * The times systemd computes for the translated lines equal the times of the
 * plan's cron parser (croner, as the plan reads schedules), for the next 20
 * runs: the translation is checked against systemd itself, not against our
 * idea of it.
 */
describe('systemd-analyze calendar agrees with croner', () => {
  const BASE = '2026-01-01T00:00:00Z';
  const cases: Array<[string, string]> = [
    ['0 2 * * *', 'UTC'],
    ['*/15 * * * *', 'UTC'],
    ['*/7 * * * *', 'UTC'],
    ['5,35 */6 * * *', 'UTC'],
    ['0 9-17 * * 1-5', 'UTC'],
    ['0 0 * * 0', 'UTC'],
    ['0 0 * * 7', 'UTC'],
    ['0 22 * * 5-7', 'UTC'],
    ['0 8 * jan,jul mon-fri', 'UTC'],
    ['0 12 13 * 5', 'UTC'],
    ['30 4 1,15 * 3', 'UTC'],
    ['0 3 */2 * *', 'UTC'],
    ['0 3 */10 * sun', 'UTC'],
    ['10-50/20 0-23/5 * * *', 'UTC'],
    ['0 0 31 * *', 'UTC'],
    ['15 10 * 1-3,10 *', 'UTC'],
    ['0 6 1 * *', 'UTC'],
    ['0 4 * * 0', 'UTC'],
    ['30 5 * * *', 'Europe/Berlin'],
    ['0 2 * * *', 'America/New_York'],
  ];

  it.each(cases)('%s (%s): the next 20 runs', (cron, zone) => {
    const lines = cronToOnCalendar(cron, zone);
    const fromSystemd = [...new Set(lines.flatMap((line) => systemdNext(line, BASE, 20)))].sort().slice(0, 20);
    const fromCroner = new Cron(cron, { mode: '5-part', paused: true, timezone: zone }).nextRuns(20, new Date(BASE)).map((d) => d.toISOString());
    expect(fromSystemd).toHaveLength(20);
    expect(fromSystemd).toEqual(fromCroner);
  });

  // croner 10.0.1 misses a day-of-month match when the day-of-week field names
  // the day after it and the month before ends on that weekday (Sunday
  // 2026-03-01 after Monday 2026-02-23). systemd follows cron here; the plan's
  // parser only validates schedules and measures gaps (a missed run there only
  // makes a gap look longer), so the timers are right. When croner is fixed,
  // this test fails: move the expression to the list above.
  it('30 4 1,15 * 1: systemd runs on Sunday 2026-03-01 (the 1st), which croner 10.0.1 misses', () => {
    const cron = '30 4 1,15 * 1';
    const fromSystemd = [...new Set(cronToOnCalendar(cron, 'UTC').flatMap((line) => systemdNext(line, BASE, 20)))].sort().slice(0, 20);
    const fromCroner = new Cron(cron, { mode: '5-part', paused: true, timezone: 'UTC' }).nextRuns(20, new Date(BASE)).map((d) => d.toISOString());
    expect(fromSystemd.filter((t) => !fromCroner.includes(t))).toEqual(['2026-03-01T04:30:00.000Z']);
    expect(fromSystemd.slice(0, 12)).toEqual(fromCroner.slice(0, 12));
  });

  it('a DST change in the zone moves the UTC time, in both', () => {
    const cron = '30 5 * * *';
    const base = '2026-03-20T00:00:00Z';
    const fromSystemd = systemdNext(cronToOnCalendar(cron, 'Europe/Berlin')[0]!, base, 20);
    const fromCroner = new Cron(cron, { mode: '5-part', paused: true, timezone: 'Europe/Berlin' }).nextRuns(20, new Date(base)).map((d) => d.toISOString());
    expect(fromSystemd).toEqual(fromCroner);
    expect(new Set(fromSystemd.map((t) => t.slice(11, 16)))).toEqual(new Set(['04:30', '03:30']));
  });
});

/** The next `n` elapses of an OnCalendar value after `base`, as ISO times (UTC), from systemd-analyze. */
function systemdNext(spec: string, base: string, n: number): string[] {
  let out: string;
  try {
    out = execFileSync('systemd-analyze', ['calendar', `--iterations=${n}`, `--base-time=${base.replace('T', ' ').replace('Z', ' UTC')}`, spec], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC', SYSTEMD_COLORS: '0' },
    });
  } catch (err) {
    throw new Error(`systemd-analyze calendar '${spec}' failed (is Debian's systemd package installed? tooling/bootstrap.sh installs it): ${(err as Error).message}`);
  }
  return [...out.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC/g)].map((m) => `${m[1]}T${m[2]}.000Z`);
}
