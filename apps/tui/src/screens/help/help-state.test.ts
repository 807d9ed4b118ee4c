import { describe, expect, test } from 'vitest';
import { helpReducer } from './help-state.js';
import { helpIntent } from './use-help-keys.js';

describe('help keys', () => {
  test('esc and ? close; arrows scroll within bounds; quit still quits; anything else is swallowed', () => {
    expect(helpIntent('back', 10, 5)).toEqual({ kind: 'close' });
    expect(helpIntent('quit', 10, 5)).toBeUndefined();
    expect(helpIntent('backup', 10, 5)).toEqual({ kind: 'swallow' });
    const down = helpIntent('pageDown', 10, 5);
    expect(down).toEqual({ kind: 'dispatch', action: { type: 'scroll', by: 10, max: 5 } });
    expect(helpReducer(0, { type: 'scroll', by: 10, max: 5 })).toBe(5);
    expect(helpReducer(2, { type: 'scroll', by: -10, max: 5 })).toBe(0);
  });
});
