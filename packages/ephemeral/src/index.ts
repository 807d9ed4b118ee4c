export * from './postgres.js';
export * from './redis.js';
export * from './s3.js';
