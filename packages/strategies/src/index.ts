import type { Strategy } from '@lifeboat/core';
import { postgresStrategy } from './postgres/index.js';

export { postgresStrategy };
export type { PostgresConfig } from './postgres/index.js';

/** Every strategy this build ships, for the apps' registry. */
export const strategies: Strategy<never>[] = [postgresStrategy as Strategy<never>];
