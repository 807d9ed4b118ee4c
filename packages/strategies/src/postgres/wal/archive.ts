import { existsSync } from 'node:fs';
import type { KindArchive } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';

// The archive's code (and pg) loads when status, prune or verify first asks it, not with the kind.
const parts = async () => {
  const [{ walPrune }, { walReadBack }, { walStatus }, { walSpool, walSpoolBacklog }] = await Promise.all([
    import('./prune.js'),
    import('./read-back.js'),
    import('./status.js'),
    import('./wal-component.js'),
  ]);
  return { walPrune, walReadBack, walStatus, walSpool, walSpoolBacklog };
};

/** The WAL archive as status, prune and verify see it: a postgres component with `pitr:` keeps one. */
export const walArchive: KindArchive<PostgresConfig> = {
  name: 'WAL archive',
  applies: (config) => config.pitr !== undefined,
  // The spool, where the plan has pitr.async, is shown on the host that holds it (the database server).
  status: async (ctx) => {
    const { walStatus, walSpool, walSpoolBacklog } = await parts();
    return walStatus(ctx, {
      spoolBacklog: async (c) => {
        const spool = walSpool(c.engine, c.component);
        return spool && existsSync(spool.dir) ? walSpoolBacklog(c.engine, c.component) : undefined;
      },
    });
  },
  prune: async (ctx) => (await parts()).walPrune(ctx),
  verify: async (ctx) => (await parts()).walReadBack(ctx),
};
