import { fileURLToPath } from 'node:url';
import { importCycles, importGraph } from '@lifeboat/vitest-config/import-graph';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));

describe("core's layering", () => {
  test('retention (pure policy) and the journal import nothing of the engine', () => {
    const reaching = [...importGraph(SRC, { types: true })]
      .filter(([file]) => file.startsWith('retention/') || file.startsWith('journal/'))
      .flatMap(([file, deps]) => deps.filter((dep) => dep.startsWith('engine/')).map((dep) => `${file} -> ${dep}`));
    expect(reaching).toEqual([]);
  });

  test('no run-time import cycle among its modules', () => {
    expect(importCycles(SRC)).toEqual([]);
  });
});
