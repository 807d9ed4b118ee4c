import { existsSync } from 'node:fs';
import type { KindArchive } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { walPrune } from './prune.js';
import { walReadBack } from './read-back.js';
import { walStatus } from './status.js';
import { walSpool, walSpoolBacklog } from './wal-component.js';

/** The WAL archive as status, prune and verify see it: a postgres component with `pitr:` keeps one. */
export const walArchive: KindArchive<PostgresConfig> = {
  name: 'WAL archive',
  applies: (config) => config.pitr !== undefined,
  // The spool, where the plan has pitr.async, is shown on the host that holds it (the database server).
  status: (ctx) =>
    walStatus(ctx, {
      spoolBacklog: async (c) => {
        const spool = walSpool(c.engine, c.component);
        return spool && existsSync(spool.dir) ? walSpoolBacklog(c.engine, c.component) : undefined;
      },
    }),
  prune: walPrune,
  verify: walReadBack,
};
