import type { Strategy } from '@lifeboat/core';
import { ec2Strategy } from './ec2/index.js';
import { filesStrategy } from './files/index.js';
import { postgresStrategy } from './postgres/index.js';
import { redisStrategy } from './redis/index.js';
import { s3BucketStrategy } from './s3-bucket/index.js';

// The front door the apps' registry loads at start-up (`@lifeboat/strategies/kinds`): the kinds alone, each of which
// loads its backup and restore code when first used, without the WAL archive commands the package's index adds.
export { ec2Strategy, filesStrategy, postgresStrategy, redisStrategy, s3BucketStrategy };

/** Every strategy this build ships, for the apps' registry. */
export const strategies: Strategy<never>[] = [postgresStrategy, redisStrategy, filesStrategy, ec2Strategy, s3BucketStrategy] as Strategy<never>[];
