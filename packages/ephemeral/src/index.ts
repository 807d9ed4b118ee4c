export * from './postgres.js';
export * from './redis.js';
export * from './s3.js';
export * from './postgres-on-data-dir.js';
export { findPostgresBinDir } from './binaries.js';
export * from './s3-versioned-fake.js';
