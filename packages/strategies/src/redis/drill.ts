import { UsageError, type DrillTarget, type StrategyContext } from '@lifeboat/core';
import type { RedisConfig } from './config.js';
import { EPHEMERAL } from './restore.js';

/**
 * A drill loads the backup into a throwaway local redis-server (the restore's
 * `--to ephemeral`) and compares key counts; nothing on any server is touched.
 * (`restore --to redis://…` can load a running server, but it replaces all of
 * its data, which a drill must never do.)
 */
export async function prepareRedisDrill(ctx: StrategyContext<RedisConfig>, target: string): Promise<DrillTarget> {
  if (target !== EPHEMERAL) {
    throw new UsageError(`components.${ctx.component}.drill.target for redis must be ${EPHEMERAL} (a drill never replaces a running server's data; restore --to redis://… does that on purpose)`);
  }
  return {
    request: { target: EPHEMERAL, clean: false, yes: false, options: {} },
    env: {},
    description: 'a throwaway local redis-server',
    cleanup: async () => {},
  };
}
