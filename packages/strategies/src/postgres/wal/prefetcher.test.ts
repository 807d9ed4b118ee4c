import { describe, expect, test } from 'vitest';
import { nextPosition, type PositionState } from './prefetcher.js';

describe('nextPosition: recovery\'s position when restore_command\'s shell path records none', () => {
  const takenPosition = (rec: typeof recorded | undefined, placed: Set<string>, ready: Map<string, string>) => nextPosition({}, rec, placed, ready).position;
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

  test('a position the shell path moved stays while position.json names the same file, so the window behind recovery is not fetched again', () => {
    const placed = new Set(['000000010000000000000008', '000000010000000000000009']);
    let state: PositionState = nextPosition({}, recorded, placed, new Map());
    expect(state.position?.file).toBe('000000010000000000000009');
    // The next poll: nothing more left the folder, and position.json still names 07 — recovery is not back at 07.
    state = nextPosition(state, recorded, placed, new Map());
    expect(state.position).toEqual({ file: '000000010000000000000009', segmentBytes: 16 * MiB });
    placed.add('00000001000000000000000A');
    state = nextPosition(state, recorded, placed, new Map());
    expect(state.position?.file).toBe('00000001000000000000000A');
  });

  test('a new recorded position is where recovery is, ahead or behind (a restarted recovery asks from its checkpoint again)', () => {
    let state: PositionState = nextPosition({}, recorded, new Set(['00000001000000000000000C']), new Map());
    expect(state.position?.file).toBe('00000001000000000000000C');
    state = nextPosition(state, { ...recorded, file: '00000001000000000000000E' }, new Set(), new Map());
    expect(state.position?.file).toBe('00000001000000000000000E');
    state = nextPosition(state, { ...recorded, file: '000000010000000000000003' }, new Set(), new Map());
    expect(state.position?.file).toBe('000000010000000000000003');
    // …and a file taken after the new record moves it on as before.
    state = nextPosition(state, { ...recorded, file: '000000010000000000000003' }, new Set(['000000010000000000000004']), new Map());
    expect(state.position?.file).toBe('000000010000000000000004');
  });

  test('a position recorded before recovery started stays "before recovery" only until recovery takes a file', () => {
    const early = { ...recorded, beforeRecovery: true as const };
    let state: PositionState = nextPosition({}, early, new Set(), new Map());
    expect(state.position).toEqual(early);
    state = nextPosition(state, early, new Set(['000000010000000000000008']), new Map());
    expect(state.position).toEqual({ file: '000000010000000000000008', segmentBytes: 16 * MiB });
  });
});
