import { describe, expect, test } from 'vitest';
import { takenPosition } from './prefetcher.js';

describe('takenPosition: recovery\'s position when restore_command\'s shell path records none', () => {
  const MiB = 1024 * 1024;
  const recorded = { file: '000000010000000000000007', segmentBytes: 16 * MiB };

  test('the newest file it placed that has left the folder moves the position; those that left are forgotten', () => {
    const placed = new Set(['000000010000000000000008', '000000010000000000000009', '00000001000000000000000A']);
    const ready = new Map([['00000001000000000000000A', '00000001000000000000000A.ab']]);
    expect(takenPosition(recorded, placed, ready)).toEqual({ file: '000000010000000000000009', segmentBytes: 16 * MiB });
    expect([...placed]).toEqual(['00000001000000000000000A']);
  });

  test('nothing left the folder, or only files before the recorded position: the recorded position', () => {
    expect(takenPosition(recorded, new Set(['000000010000000000000008']), new Map([['000000010000000000000008', 'x']]))).toEqual(recorded);
    expect(takenPosition(recorded, new Set(['000000010000000000000006']), new Map())).toEqual(recorded);
  });

  test('no recorded position (no wal get has run): none, whatever left', () => {
    expect(takenPosition(undefined, new Set(['000000010000000000000008']), new Map())).toBeUndefined();
  });
});
