import { parseDuration } from '@lifeboat/core';
import { z } from 'zod';

const BUCKET_RULES = 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
const REGION_RULES = 'an AWS region such as us-west-2';
const ENDPOINT_RULES = 'an http or https URL without a user or password (credentials come from the AWS default chain)';
const ROLE_RULES = 'an IAM role ARN such as arn:aws:iam::123456789012:role/s3-replication';
const RETENTION_RULES = 'a duration such as 90d: how long noncurrent versions must stay restorable';

const bucket = z.string({ error: BUCKET_RULES }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: BUCKET_RULES });
const region = z.string({ error: REGION_RULES }).regex(/^[a-z0-9][a-z0-9-]*$/, { error: REGION_RULES });

/**
 * The plan fields of `type: s3-bucket` (a media bucket that is its own backup
 * through versioning, and its own replica through replication). Credentials
 * come from the AWS default chain, never from the plan.
 *
 * `versionRetention` is how long noncurrent versions must stay restorable
 * (the guide's 90 days): the plan's common `retention` is already the
 * checkpoints' retention per destination.
 */
export const s3BucketConfig = z.object({
  bucket,
  region,
  /** Only keys under this prefix are checkpointed and restored. */
  prefix: z.string({ error: 'a key prefix such as uploads/' }).min(1, { error: 'a key prefix such as uploads/' }).optional(),
  /** S3-compatible stores and the tests' fake; path-style addressing then. */
  endpoint: z
    .url({ protocol: /^https?$/, error: ENDPOINT_RULES })
    .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), { error: ENDPOINT_RULES })
    .optional(),
  replication: z
    .strictObject(
      {
        bucket,
        region,
        /** The IAM role S3 assumes to replicate: only `lifeboat s3 apply` needs it, to add the rule. */
        roleArn: z.string({ error: ROLE_RULES }).regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: ROLE_RULES }).optional(),
      },
      { error: 'a mapping with bucket and region (the replica), and optionally roleArn' },
    )
    .optional(),
  /** All four public access blocks on (s3 check / s3 apply); false leaves them to whoever serves the bucket. */
  blockPublicAccess: z.boolean({ error: 'true or false' }).default(true),
  /** A default object lock retention the bucket must have at least (s3 check / s3 apply). */
  objectLock: z
    .strictObject(
      {
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'GOVERNANCE or COMPLIANCE' }),
        days: z.number({ error: 'a whole number of days, at least 1' }).int({ error: 'a whole number of days, at least 1' }).min(1, { error: 'a whole number of days, at least 1' }),
      },
      { error: 'a mapping with mode (GOVERNANCE or COMPLIANCE) and days' },
    )
    .optional(),
  versionRetention: z
    .string({ error: RETENTION_RULES })
    .refine((text) => (parseDuration(text) ?? 0) > 0, { error: RETENTION_RULES })
    .default('90d'),
});

export type S3BucketConfig = z.infer<typeof s3BucketConfig>;

/** `versionRetention` in milliseconds. */
export function retentionMs(config: Pick<S3BucketConfig, 'versionRetention'>): number {
  return parseDuration(config.versionRetention) ?? 0;
}
