import { fileURLToPath } from 'node:url';
import { importCycles } from '@lifeboat/vitest-config/import-graph';
import { expect, test } from 'vitest';

test('no run-time import cycle among the strategies’ modules', () => {
  expect(importCycles(fileURLToPath(new URL('.', import.meta.url)))).toEqual([]);
});
