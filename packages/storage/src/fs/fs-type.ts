import path from 'node:path';
import type { StorageType } from '@lifeboat/core';
import { z } from 'zod';
import { FsStorage } from './fs-adapter.js';

const fsConfig = z.object({
  /** Folder holding the repository; relative paths are relative to the plan file. */
  path: z.string().min(1),
});

/** `type: fs` destinations in the plan. */
export const fsStorageType: StorageType<z.infer<typeof fsConfig>> = {
  type: 'fs',
  config: fsConfig,
  defaultMedium: 'disk',
  create: (config, { planDir }) => new FsStorage(path.resolve(planDir, config.path)),
};
