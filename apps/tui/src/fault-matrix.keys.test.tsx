import { useState } from 'react';
import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { KeyRouter, useKeys } from './key-router.js';
import { listStep, splitKeys } from './keys.js';
import { inkKey } from './test/keys.js';

/** A list of five rows behind the app's key router: ↓ j and ↑ k move the selection. */
function List() {
  const [selected, setSelected] = useState(0);
  useKeys(
    () => ({ scopes: ['list'] }),
    (command) => {
      const by = listStep(command, 5);
      if (by === undefined) return false;
      setSelected((s) => Math.min(4, Math.max(0, s + by)));
    },
  );
  return <Text>selected {selected}</Text>;
}

let app: ReturnType<typeof render> | undefined;
afterEach(() => {
  app?.unmount();
  app = undefined;
});

describe('fault matrix: keys', () => {
  test('fault 11.9: keys that arrive in one chunk (tmux send-keys -l jj) are each handled: jj moves twice', async () => {
    app = render(
      <KeyRouter fallback={() => false}>
        <List />
      </KeyRouter>,
    );
    expect(app.lastFrame()).toBe('selected 0');
    app.stdin.write('jj');
    await vi.waitFor(() => expect(app!.lastFrame()).toBe('selected 2'), { timeout: 5000, interval: 10 });
    app.stdin.write('jjjk');
    await vi.waitFor(() => expect(app!.lastFrame()).toBe('selected 3'), { timeout: 5000, interval: 10 });
  });

  test('fault 11.9: a chunk splits into the keys Ink would have made of each character alone', () => {
    expect(splitKeys('jj', inkKey())).toEqual([
      ['j', inkKey()],
      ['j', inkKey()],
    ]);
    expect(splitKeys('aB\r\u007f', inkKey())).toEqual([
      ['a', inkKey()],
      ['B', inkKey({ shift: true })],
      ['', inkKey({ return: true })],
      ['', inkKey({ delete: true })],
    ]);
    // One key stays as it came.
    expect(splitKeys('j', inkKey())).toEqual([['j', inkKey()]]);
    expect(splitKeys('', inkKey({ upArrow: true }))).toEqual([['', inkKey({ upArrow: true })]]);
  });
});
