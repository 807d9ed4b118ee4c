import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['90s', 90 * S],
    ['15m', 15 * M],
    ['24h', 24 * H],
    ['30d', 30 * D],
    ['4w', 28 * D],
    ['1y', 365 * D],
    ['1h30m', 90 * M],
    ['1d 12h', 36 * H],
    ['1y2w3d4h5m6s', 365 * D + 14 * D + 3 * D + 4 * H + 5 * M + 6 * S],
    [' 24h ', 24 * H],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', ' ', '24', '24 hours', '1.5h', '-1h', '24H', '1h1h', '30m1h', 'h', '1d!', '1e3s', '99999999999999999999y'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [45 * S, '45s'],
    [90 * S, '1m 30s'],
    [45 * M, '45m'],
    [26 * H, '1d 2h'],
    [26 * H + 59 * M + 59 * S, '1d 2h'],
    [D + 5 * M, '1d'],
    [30 * D, '30d'],
    [-90 * M, '-1h 30m'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('reads back what it writes when nothing is truncated', () => {
    for (const ms of [0, 45 * S, 90 * S, 26 * H, 30 * D]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
