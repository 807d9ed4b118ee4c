import { Registry } from '@lifeboat/core';
import { fsStorageType, s3StorageType } from '@lifeboat/storage';
import { strategies } from '@lifeboat/strategies/kinds';
import type { StorageType } from '@lifeboat/core';

/** The strategies and storage types this build ships, wired together here and nowhere else. */
export function createRegistry(): Registry {
  return new Registry({ strategies, storage: [fsStorageType, s3StorageType] as StorageType<never>[] });
}
