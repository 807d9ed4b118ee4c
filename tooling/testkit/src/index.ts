export { test } from './fixtures.js';
export { describe, expect } from 'vitest';
export { startPostgres, type TestDatabase, type TestPostgres } from './postgres.js';
export { startRedis, type TestRedis } from './redis.js';
export { externalS3, startS3, type ExternalS3, type TestS3 } from './s3.js';
export { redisCommand, type RedisAddress, type RespValue } from './resp.js';
export type { Via } from './services.js';
