/**
 * A plan's 5-field cron expression as systemd `OnCalendar=` lines, with the
 * same times as the plan's cron parser (croner, as `schedule` reads it):
 *
 * - every field is expanded to the set of values it matches (`*`, `*∕n`,
 *   `a`, `a-b`, `a-b/n`, `a/n`, lists of these; month and weekday names), and
 *   written back in systemd's syntax (`*`, `a/n`, `a..b`, lists);
 * - weekdays 0 and 7 are both Sunday, and are written as names (systemd has no
 *   weekday ranges that wrap around Sunday);
 * - when both day-of-month and day-of-week are restricted (anything but a bare
 *   `*`), cron runs on days matching EITHER; systemd's one line would need
 *   both, so it becomes two lines, one per field;
 * - what systemd cannot say (`L`, `W`, `#`, `?`, croner's `+` AND-modifier) is
 *   refused with a sentence, never approximated.
 */

export class OnCalendarError extends Error {}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] };
const WEEKDAY: FieldSpec = { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] };

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
/** systemd's week starts on Monday; lines read better in that order. */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

/**
 * `OnCalendar=` values for `expression` in `timeZone` (an IANA name or UTC).
 * One line, or two for cron's day-of-month OR day-of-week. Throws
 * `OnCalendarError` with the reason when it cannot be translated.
 */
export function cronToOnCalendar(expression: string, timeZone: string): string[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new OnCalendarError(`it has ${fields.length} fields, not 5`);
  const [minute, hour, day, month, weekday] = fields as [string, string, string, string, string];
  const minutes = expand(minute, MINUTE);
  const hours = expand(hour, HOUR);
  const days = expand(day, DAY);
  const months = expand(month, MONTH);
  const weekdays = new Set([...expand(weekday, WEEKDAY)].map((d) => (d === 7 ? 0 : d)));

  const time = `${render(hours, HOUR, 2)}:${render(minutes, MINUTE, 2)}:00`;
  const monthPart = render(months, MONTH, 2);
  const zone = ` ${timeZone}`;
  const weekdayList = WEEK_ORDER.filter((d) => weekdays.has(d)).map((d) => WEEKDAY_NAMES[d]).join(',');
  const dayRestricted = day !== '*';
  const weekdayRestricted = weekday !== '*';
  const byDay = `*-${monthPart}-${render(days, DAY, 2)} ${time}${zone}`;
  const byWeekday = `${weekdayList} *-${monthPart}-* ${time}${zone}`;
  if (dayRestricted && weekdayRestricted) return [byWeekday, byDay];
  if (weekdayRestricted) return [byWeekday];
  return [byDay];
}

function expand(field: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const refusal = /[LW#?+]/i.exec(item.replace(/[A-Z]{3}/gi, (name) => (nameValue(name, spec) === undefined ? name : '0')));
    if (refusal) throw new OnCalendarError(`its ${spec.name} field "${field}" uses "${refusal[0]}", which systemd calendar events cannot express`);
    const m = /^(\*|[A-Z0-9]+)(?:-([A-Z0-9]+))?(?:\/(\d+))?$/i.exec(item);
    if (!m) throw new OnCalendarError(`its ${spec.name} field "${field}" is not a list of values, ranges (a-b) and steps (*/n, a-b/n)`);
    const [, startText, endText, stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new OnCalendarError(`its ${spec.name} field "${field}" has a step of ${stepText}; expected 1 or more`);
    const top = spec === WEEKDAY ? 6 : spec.max;
    let start: number;
    let end: number;
    if (startText === '*') {
      if (endText !== undefined) throw new OnCalendarError(`its ${spec.name} field "${field}" has a range starting at *`);
      start = spec.min;
      end = top;
    } else {
      start = value(startText!, spec, field);
      // `a/n` runs from a to the field's end, as croner reads it.
      end = endText !== undefined ? value(endText, spec, field) : stepText !== undefined ? top : start;
    }
    if (end < start) throw new OnCalendarError(`its ${spec.name} field "${field}" has the range ${start}-${end}, which runs backwards`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

function nameValue(name: string, spec: FieldSpec): number | undefined {
  const i = spec.names?.indexOf(name.toUpperCase()) ?? -1;
  if (i < 0) return undefined;
  return spec === MONTH ? i + 1 : i;
}

function value(text: string, spec: FieldSpec, field: string): number {
  const named = nameValue(text, spec);
  const n = named ?? (/^\d+$/.test(text) ? Number(text) : NaN);
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
    throw new OnCalendarError(`its ${spec.name} field "${field}" has "${text}"; expected ${spec.min}-${spec.max}${spec.names ? ' or a name' : ''}`);
  }
  return n;
}

/** A set of values in systemd's syntax: `*`, `start/step` to the field's end, else a list of values and `a..b` runs. */
function render(values: Set<number>, spec: FieldSpec, width: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const pad = (n: number) => String(n).padStart(width, '0');
  if (sorted.length === spec.max - spec.min + 1) return '*';
  const first = sorted[0]!;
  if (sorted.length >= 3) {
    const step = sorted[1]! - first;
    const regular = sorted.every((v, i) => v === first + i * step);
    // `a/n` means a, a+n, … up to the field's end: only when the last value is the last one that fits.
    if (step > 1 && regular && sorted.at(-1)! + step > spec.max) return `${pad(first)}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${pad(sorted[i]!)}..${pad(sorted[j]!)}` : sorted.slice(i, j + 1).map(pad).join(','));
    i = j + 1;
  }
  return parts.join(',');
}
