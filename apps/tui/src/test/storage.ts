import path from 'node:path';
import type { StorageAdapter, StorageType } from '@lifeboat/core';
import { FsStorage } from '@lifeboat/storage';
import { z } from 'zod';

const fsLike = z.object({ path: z.string().min(1) });

function fsAt(config: { path: string }, planDir: string): StorageAdapter {
  return new FsStorage(path.resolve(planDir, config.path));
}

/** `type: hanging-fs`: an fs destination that answers nothing until `gate` resolves (slow storage). */
export function hangingFs(gate: Promise<void>): StorageType<never> {
  const type: StorageType<{ path: string }> = {
    type: 'hanging-fs',
    config: fsLike,
    defaultMedium: 'disk',
    create: (config, { planDir }) => {
      const inner = fsAt(config, planDir);
      return {
        description: `hanging-fs:${config.path}`,
        put: async (key, body, opts) => (await gate, inner.put(key, body, opts)),
        get: async (key, range) => (await gate, inner.get(key, range)),
        head: async (key) => (await gate, inner.head(key)),
        delete: async (keys) => (await gate, inner.delete(keys)),
        putIf: async (key, bytes, condition) => (await gate, inner.putIf(key, bytes, condition)),
        getVersioned: async (key) => (await gate, inner.getVersioned(key)),
        list: async function* (prefix) {
          await gate;
          yield* inner.list(prefix);
        },
      };
    },
  };
  return type as unknown as StorageType<never>;
}

/** `type: broken`: every call fails with the sentence a dead object store would give. */
export function brokenStorage(sentence = 'connect ECONNREFUSED 10.0.0.9:9000'): StorageType<never> {
  const fail = async (): Promise<never> => {
    throw new Error(sentence);
  };
  const type: StorageType<object> = {
    type: 'broken',
    config: z.object({}),
    defaultMedium: 'object-storage',
    create: () => ({
      description: 'broken://store',
      put: fail,
      get: fail,
      head: fail,
      delete: fail,
      putIf: fail,
      getVersioned: fail,
      // eslint-disable-next-line require-yield
      list: async function* () {
        await fail();
      },
    }),
  };
  return type as unknown as StorageType<never>;
}

/**
 * `type: held-fs`: an fs destination whose artifact uploads, while `control.holding`,
 * never finish until the engine aborts them — a backup caught mid-upload.
 */
export function heldFs(control: { holding: boolean; held: number }): StorageType<never> {
  const type: StorageType<{ path: string }> = {
    type: 'held-fs',
    config: fsLike,
    defaultMedium: 'disk',
    create: (config, { planDir }) => {
      const inner = fsAt(config, planDir);
      return {
        description: `held-fs:${config.path}`,
        put: (key, body, opts) => {
          if (!control.holding || key === 'lifeboat.json' || key.startsWith('runs/')) return inner.put(key, body, opts);
          control.held++;
          body.resume();
          return new Promise((_, reject) => {
            const stop = () => reject(opts?.signal?.reason ?? new Error('aborted'));
            if (opts?.signal?.aborted) stop();
            opts?.signal?.addEventListener('abort', stop, { once: true });
          });
        },
        get: (key, range) => inner.get(key, range),
        head: (key) => inner.head(key),
        delete: (keys) => inner.delete(keys),
        putIf: (key, bytes, condition) => inner.putIf(key, bytes, condition),
        getVersioned: (key) => inner.getVersioned(key),
        list: (prefix) => inner.list(prefix),
      };
    },
  };
  return type as unknown as StorageType<never>;
}
