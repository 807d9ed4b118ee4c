import type { Strategy } from '@lifeboat/core';
import { deferred } from '../deferred.js';
import { redisConfig, type RedisConfig } from './config.js';
import { redisRestoreSurface } from './restore-surface.js';

// Its backup, restore and checks (and their clients) load when a command first uses them.
const runtime = () => import('./runtime.js');

export const redisStrategy: Strategy<RedisConfig> = {
  kind: 'redis',
  summary: 'Redis RDB snapshots over replication (like redis-cli --rdb) or BGSAVE, CRC64-checked; restored as dump.rdb (then the server checked), into a running server over replication, or into a throwaway redis-server',
  config: redisConfig,
  backup: deferred(runtime, 'backupRedis'),
  restore: deferred(runtime, 'restoreRedis'),
  preflight: deferred(runtime, 'preflightRedis'),
  restoreSurface: redisRestoreSurface,
  checkLiveTarget: deferred(runtime, 'checkLiveRedis'),
  contents: deferred(runtime, 'redisContents'),
  check: deferred(runtime, 'checkRedis'),
  prepareDrill: deferred(runtime, 'prepareRedisDrill'),
  doctor: deferred(runtime, 'doctorRedis'),
};
export type { RedisConfig };
