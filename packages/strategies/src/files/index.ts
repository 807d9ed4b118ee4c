import { LifeboatError, type Strategy } from '@lifeboat/core';
import { z } from 'zod';

// Placeholder replaced by the files strategy work in progress.
export const filesStrategy: Strategy<unknown> = {
  kind: 'files',
  summary: 'tar archives of files and folders',
  config: z.object({ url: z.string() }),
  backup: async () => {
    throw new LifeboatError('the files strategy is not built yet');
  },
  restore: async () => {
    throw new LifeboatError('the files strategy is not built yet');
  },
};
