/**
 * What start-up-critical code may import without loading the rest of core
 * (zod, yaml, age): `lifeboat wal push` runs once per WAL segment, and its
 * lean path (apps/runner/src/wal-push-lean.ts) loads only this.
 */
export * from './errors.js';
export { formatBytes } from './bytes.js';
export { isAlive } from './engine/lock.js';
export { locatePlan } from './plan/locate.js';
