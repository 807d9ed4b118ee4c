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
import { startS3, type TestS3 } from './s3.js';

export const test = base.extend<{
  $worker: { pg: TestPostgres; redis: TestRedis; s3: TestS3 };
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
  /** s3rver; each test makes its own bucket with `s3.bucket()`. */
  s3: [
    async ({}, use) => {
      const s3 = await startS3();
      try {
        await use(s3);
      } finally {
        await s3.stop();
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
