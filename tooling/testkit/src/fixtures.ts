/**
 * Vitest fixtures: one server per worker, started only by a test that asks for
 * it, and a fresh database per test.
 *
 *   import { test, expect } from '@lifeboat/testkit';
 *   test('restores rows', async ({ db }) => { ... });
 */
import { test as base } from 'vitest';
import { startPostgres, type TestDatabase, type TestPostgres } from './postgres.js';
import { startRedis, type TestRedis } from './redis.js';

export const test = base.extend<{
  $worker: { pg: TestPostgres; redis: TestRedis };
  $test: { db: TestDatabase; freshRedis: TestRedis };
}>({
  pg: [
    async ({}, use) => {
      const pg = await startPostgres();
      try {
        await use(pg);
      } finally {
        await pg.stop();
      }
    },
    { scope: 'worker' },
  ],
  redis: [
    async ({}, use) => {
      const redis = await startRedis();
      try {
        await use(redis);
      } finally {
        await redis.stop();
      }
    },
    { scope: 'worker' },
  ],
  /** A new empty database on the worker's server, dropped after the test. */
  db: async ({ pg }, use) => {
    const db = await pg.createDatabase();
    try {
      await use(db);
    } finally {
      await db.drop();
    }
  },
  /** The worker's Redis, flushed before the test. */
  freshRedis: async ({ redis }, use) => {
    await redis.flush();
    await use(redis);
  },
});
