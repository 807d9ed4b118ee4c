import type { StorageType } from '@lifeboat/core';
import { z } from 'zod';
import { BUCKET_NAME_RULES, bucketNameProblem } from './bucket-name.js';
import { PREFIX_RULES, normalizePrefix } from './prefix.js';
import { LazyS3Storage } from './lazy-s3-storage.js';
import { S3_SERVER_SIDE_ENCRYPTION, S3_STORAGE_CLASSES } from './s3-options.js';
import { S3_LIFECYCLE } from './s3-lifecycle.js';

const ENDPOINT_RULES = 'an http or https URL without a user or password (credentials come from the AWS default chain)';
const REGION_RULES = 'an AWS region such as us-west-2';
const KMS_KEY_RULES = 'a KMS key id, ARN or alias';

const bucketName = z.string({ error: BUCKET_NAME_RULES }).superRefine((name, ctx) => {
  const wrong = bucketNameProblem(name);
  if (wrong !== undefined) ctx.addIssue({ code: 'custom', message: BUCKET_NAME_RULES, params: { wrong }, input: name });
});
const region = z.string({ error: REGION_RULES }).regex(/^[a-z0-9][a-z0-9-]*$/, { error: REGION_RULES });
const kmsKey = z.string({ error: KMS_KEY_RULES }).min(1, { error: KMS_KEY_RULES });
const instantClass = z.enum(S3_STORAGE_CLASSES, {
  error: `one of ${S3_STORAGE_CLASSES.join(', ')} (archive classes such as GLACIER and DEEP_ARCHIVE are reached through lifecycle transitions, so that manifests stay readable)`,
});
const days = z.int({ error: 'a whole number of days, 1 or more' }).min(1, { error: 'a whole number of days, 1 or more' });

/** Cross-region replication of the destination's prefix, as in the guide's replication.json. */
const replication = z.strictObject(
  {
    /** The replica bucket; it must have versioning enabled (S3 refuses replication into one without). */
    bucket: bucketName,
    /** The replica bucket's region. */
    region,
    /** The IAM role S3 assumes to replicate. */
    roleArn: z
      .string({ error: 'an IAM role ARN such as arn:aws:iam::123456789012:role/lifeboat-replication' })
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, { error: 'an IAM role ARN such as arn:aws:iam::123456789012:role/lifeboat-replication' }),
    /** Class of the replicas (default: that of the source object). */
    storageClass: instantClass.optional(),
    /** KMS key in the replica's region for objects encrypted with aws:kms (S3 replicates those only with one). */
    kmsKeyId: kmsKey.optional(),
  },
  { error: 'a mapping with bucket, region, roleArn and optionally storageClass and kmsKeyId' },
);

/** Default retention for new object versions, where the bucket was created with object lock. */
const objectLock = z.strictObject(
  {
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], {
      error: 'GOVERNANCE (users with s3:BypassGovernanceRetention may still delete) or COMPLIANCE (nobody may, not even root)',
    }),
    days,
  },
  { error: 'a mapping with mode (GOVERNANCE or COMPLIANCE) and days' },
);

const DEFAULT_ENCRYPTION_RULES = 'AES256, or { algorithm: aws:kms, kmsKeyId: <a KMS key id, ARN or alias> }';
const defaultEncryption = z.union(
  [
    z.literal('AES256'),
    z.strictObject({ algorithm: z.literal('AES256') }),
    z.strictObject({ algorithm: z.literal('aws:kms'), kmsKeyId: kmsKey }),
  ],
  { error: DEFAULT_ENCRYPTION_RULES },
);

/**
 * The plan's fields for `type: s3`. Credentials are deliberately absent: they
 * come from the AWS default chain (environment, profile, SSO, instance role).
 */
const s3Config = z
  .object({
    bucket: bucketName,
    region,
    prefix: z
      .string({ error: PREFIX_RULES })
      .refine((prefix) => normalizePrefix(prefix) !== undefined, { error: PREFIX_RULES })
      .optional(),
    /** S3-compatible stores (MinIO, R2, Ceph). */
    endpoint: z
      .url({ protocol: /^https?$/, error: ENDPOINT_RULES })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), { error: ENDPOINT_RULES })
      .optional(),
    /** Bucket in the URL path rather than the host name; defaults to true with an endpoint. */
    forcePathStyle: z.boolean({ error: 'true or false' }).optional(),
    storageClass: instantClass.optional(),
    sse: z.enum(S3_SERVER_SIDE_ENCRYPTION, { error: `one of ${S3_SERVER_SIDE_ENCRYPTION.join(', ')}` }).optional(),
    /** The KMS key (id, ARN or alias) for `sse: aws:kms`. */
    kmsKeyId: kmsKey.optional(),

    // The bucket itself, as `lifeboat s3 apply` sets it up and `lifeboat s3 check` checks it.
    /** Enable versioning (default true). false leaves it as it is: apply never suspends it. */
    versioning: z.boolean({ error: 'true or false' }).optional(),
    /** Days an overwritten or deleted object stays recoverable as a noncurrent version (default 30). */
    keepNoncurrentDays: days.optional(),
    replication: replication.optional(),
    objectLock: objectLock.optional(),
    /** Block every form of public access (default true). false leaves it as it is. */
    blockPublicAccess: z.boolean({ error: 'true or false' }).optional(),
    /** The bucket's default encryption (default: the destination's sse and kmsKeyId, else AES256). */
    defaultEncryption: defaultEncryption.optional(),
  })
  // The plan loader runs this on the destination's own fields (a plan error names
  // the field); S3Storage makes the same check when it is created without a plan.
  .superRefine((config, ctx) => {
    if (config.sse === 'aws:kms' && config.kmsKeyId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'a KMS key id, ARN or alias (sse: aws:kms needs one)', input: undefined });
    }
    if (config.sse !== 'aws:kms' && config.kmsKeyId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'no kmsKeyId, or sse: aws:kms (a KMS key applies only to it)', input: config.kmsKeyId });
    }
  });

export type S3Config = z.infer<typeof s3Config>;

/** `type: s3` destinations in the plan; the AWS SDK loads when one is first used. */
export const s3StorageType: StorageType<S3Config> = {
  type: 's3',
  config: s3Config,
  defaultMedium: 'object-storage',
  capabilities: { lifecycle: S3_LIFECYCLE },
  create: (config) =>
    new LazyS3Storage({
      bucket: config.bucket,
      region: config.region,
      prefix: config.prefix,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      storageClass: config.storageClass,
      sse: config.sse,
      kmsKeyId: config.kmsKeyId,
    }),
};
