// Shared vitest setup: unit tests (`*.test.ts`) and integration tests
// (`*.int.test.ts`, real servers, longer timeouts) run as two projects.
// Workspace packages resolve to their TypeScript source through the
// `@lifeboat/source` export condition, so tests never need a prior build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// No 'module': vitest hands these to the worker as `node --conditions`, and
// packages that map 'module' to bundler-only builds (the AWS SDK's dist-es,
// with extensionless imports) then fail to load. Vitest's own default drops it too.
const conditions = ['@lifeboat/source', 'node', 'development|production'];

/** @param {{ int?: { testTimeout?: number } }} [options] */
export function lifeboatVitest(options = {}) {
  const shared = {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@lifeboat/source'] } },
  };
  return defineConfig({
    ...shared,
    test: {
      passWithNoTests: false,
      // Each run's temporary files in a folder of its own, checked empty at the end.
      globalSetup: [fileURLToPath(new URL('./tmp-guard.js', import.meta.url))],
      projects: [
        {
          ...shared,
          test: {
            name: 'unit',
            include: ['src/**/*.test.{ts,tsx}'],
            exclude: ['src/**/*.int.test.{ts,tsx}'],
            testTimeout: 20_000,
            sequence: { groupOrder: 0 },
          },
        },
        {
          ...shared,
          test: {
            name: 'int',
            include: ['src/**/*.int.test.{ts,tsx}'],
            testTimeout: options.int?.testTimeout ?? 180_000,
            hookTimeout: 180_000,
            // Servers are worker-scoped; two cores, so keep the pool small.
            maxWorkers: 2,
            // Runs after the unit project (vitest needs distinct groups when pools differ).
            sequence: { groupOrder: 1 },
          },
        },
      ],
    },
  });
}
