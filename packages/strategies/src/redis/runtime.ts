// What a redis component does, loaded when a command first uses it (index.ts: deferred).
export { backupRedis } from './backup.js';
export { checkLiveRedis, preflightRedis, redisContents, restoreRedis } from './restore.js';
export { checkRedis } from './check.js';
export { prepareRedisDrill } from './drill.js';
export { doctorRedis } from './doctor.js';
