import type { Strategy } from '@lifeboat/core';
import { deferred } from '../deferred.js';
import { redisConfig, type RedisConfig } from './config.js';
import { redisRestoreSurface } from './restore-surface.js';

// Its backup, restore and checks (and their clients) load when a command first uses them.
const restore = () => import('./restore.js');

export const redisStrategy: Strategy<RedisConfig> = {
  kind: 'redis',
  summary: 'Redis RDB snapshots over replication (like redis-cli --rdb) or BGSAVE, CRC64-checked; restored as dump.rdb (then the server checked), into a running server over replication, or into a throwaway redis-server',
  config: redisConfig,
  backup: deferred(() => import('./backup.js'), 'backupRedis'),
  restore: deferred(restore, 'restoreRedis'),
  preflight: deferred(restore, 'preflightRedis'),
  restoreSurface: redisRestoreSurface,
  checkLiveTarget: deferred(restore, 'checkLiveRedis'),
  contents: deferred(restore, 'redisContents'),
  check: deferred(() => import('./check.js'), 'checkRedis'),
  prepareDrill: deferred(() => import('./drill.js'), 'prepareRedisDrill'),
  doctor: deferred(() => import('./doctor.js'), 'doctorRedis'),
};
export type { RedisConfig };
