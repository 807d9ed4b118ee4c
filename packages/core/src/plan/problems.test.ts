import { describe, expect, it } from 'vitest';
import { closest, formatPath, showValue, valueAt } from './problems.js';

describe('formatPath', () => {
  it('dots names, brackets indexes and quotes odd keys', () => {
    expect(formatPath(['components', 'database', 'destinations', 1])).toBe('components.database.destinations[1]');
    expect(formatPath(['components', 'my db', 'rpo'])).toBe('components["my db"].rpo');
    expect(formatPath([])).toBe('');
  });
});

describe('valueAt', () => {
  const doc = { components: { db: { destinations: ['local', 's4'] } } };
  it('follows keys and indexes, and stops at anything missing or inherited', () => {
    expect(valueAt(doc, ['components', 'db', 'destinations', 1])).toBe('s4');
    expect(valueAt(doc, ['components', 'nope', 'rpo'])).toBeUndefined();
    expect(valueAt(doc, ['components', 'constructor'])).toBeUndefined();
  });
});

describe('showValue', () => {
  it('is JSON, hides passwords at any depth and cuts long values', () => {
    expect(showValue('24 hours')).toBe('"24 hours"');
    expect(showValue({ url: 'postgres://a:hunter2@db/x' })).toBe('{"url":"postgres://a:***@db/x"}');
    expect(showValue('x'.repeat(200))).toHaveLength(60);
  });
});

describe('closest', () => {
  it('suggests a key within two edits, and nothing for short or distant words', () => {
    expect(closest('schedul', ['type', 'schedule', 'rpo'])).toBe('schedule');
    expect(closest('shcedule', ['type', 'schedule', 'rpo'])).toBe('schedule');
    expect(closest('destination', ['destinations', 'components'])).toBe('destinations');
    expect(closest('RPO', ['rpo', 'rto'])).toBe('rpo');
    expect(closest('bucket', ['type', 'schedule', 'rpo'])).toBeUndefined();
    expect(closest('to', ['rto'])).toBeUndefined();
  });
});
