import type { KindArchive } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { walPrune } from './prune.js';
import { walReadBack } from './read-back.js';
import { walStatus } from './status.js';

/** The WAL archive as status, prune and verify see it: a postgres component with `pitr:` keeps one. */
export const walArchive: KindArchive<PostgresConfig> = {
  name: 'WAL archive',
  applies: (config) => config.pitr !== undefined,
  status: (ctx) => walStatus(ctx),
  prune: walPrune,
  verify: walReadBack,
};
