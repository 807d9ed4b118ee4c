import { LifeboatError, type Strategy } from '@lifeboat/core';
import { z } from 'zod';

// Placeholder replaced by the Redis strategy work in progress.
export const redisStrategy: Strategy<unknown> = {
  kind: 'redis',
  summary: 'Redis RDB snapshots',
  config: z.object({ url: z.string() }),
  backup: async () => {
    throw new LifeboatError('the redis strategy is not built yet');
  },
  restore: async () => {
    throw new LifeboatError('the redis strategy is not built yet');
  },
};
