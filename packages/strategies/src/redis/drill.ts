import { UsageError, type DrillTarget, type StrategyContext } from '@lifeboat/core';
import type { RedisConfig } from './config.js';
import { EPHEMERAL } from './restore.js';

/**
 * Redis cannot load an RDB over the network, so a drill loads the backup into
 * a throwaway local redis-server (the restore's `--to ephemeral`) and compares
 * key counts; nothing on the production host is touched.
 */
export async function prepareRedisDrill(ctx: StrategyContext<RedisConfig>, target: string): Promise<DrillTarget> {
  if (target !== EPHEMERAL) {
    throw new UsageError(`components.${ctx.component}.drill.target for redis must be ${EPHEMERAL} (Redis cannot load an RDB sent over the network)`);
  }
  return {
    request: { target: EPHEMERAL, inPlace: false, clean: false, yes: false },
    env: {},
    description: 'a throwaway local redis-server',
    cleanup: async () => {},
  };
}
