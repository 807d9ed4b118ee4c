import type { Strategy } from '@lifeboat/core';
import { backupRedis } from './backup.js';
import { redisConfig, type RedisConfig } from './config.js';
import { checkLiveRedis, preflightRedis, redisContents, restoreRedis } from './restore.js';
import { checkRedis } from './check.js';
import { prepareRedisDrill } from './drill.js';
import { redisRestoreSurface } from './restore-surface.js';
import { doctorRedis } from './doctor.js';

export const redisStrategy: Strategy<RedisConfig> = {
  kind: 'redis',
  summary: 'Redis RDB snapshots over replication (like redis-cli --rdb) or BGSAVE, CRC64-checked; restored as dump.rdb (then the server checked), into a running server over replication, or into a throwaway redis-server',
  config: redisConfig,
  backup: backupRedis,
  restore: restoreRedis,
  preflight: preflightRedis,
  restoreSurface: redisRestoreSurface,
  checkLiveTarget: checkLiveRedis,
  contents: redisContents,
  check: checkRedis,
  prepareDrill: prepareRedisDrill,
  doctor: doctorRedis,
};
export type { RedisConfig };
