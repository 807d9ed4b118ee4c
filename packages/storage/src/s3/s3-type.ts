import type { StorageType } from '@lifeboat/core';
import { z } from 'zod';
import { BUCKET_NAME_RULES, bucketNameProblem } from './bucket-name.js';
import { PREFIX_RULES, normalizePrefix } from './prefix.js';
import { S3Storage, S3_SERVER_SIDE_ENCRYPTION, S3_STORAGE_CLASSES } from './s3-adapter.js';

const ENDPOINT_RULES = 'an http or https URL without a user or password (credentials come from the AWS default chain)';

/**
 * The plan's fields for `type: s3`. Credentials are deliberately absent: they
 * come from the AWS default chain (environment, profile, SSO, instance role).
 */
const s3Config = z
  .object({
    bucket: z.string({ error: BUCKET_NAME_RULES }).superRefine((name, ctx) => {
      const wrong = bucketNameProblem(name);
      if (wrong !== undefined) ctx.addIssue({ code: 'custom', message: BUCKET_NAME_RULES, params: { wrong }, input: name });
    }),
    region: z
      .string({ error: 'an AWS region such as us-west-2' })
      .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'an AWS region such as us-west-2' }),
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
    storageClass: z
      .enum(S3_STORAGE_CLASSES, {
        error: `one of ${S3_STORAGE_CLASSES.join(', ')} (archive classes such as GLACIER and DEEP_ARCHIVE are reached through lifecycle transitions, so that manifests stay readable)`,
      })
      .optional(),
    sse: z.enum(S3_SERVER_SIDE_ENCRYPTION, { error: `one of ${S3_SERVER_SIDE_ENCRYPTION.join(', ')}` }).optional(),
    /** The KMS key (id, ARN or alias) for `sse: aws:kms`. */
    kmsKeyId: z.string({ error: 'a KMS key id, ARN or alias' }).min(1, { error: 'a KMS key id, ARN or alias' }).optional(),
  })
  // The plan merges this object's shape into the destination's, which drops
  // refinements like this one; S3Storage makes the same check when it is created.
  .superRefine((config, ctx) => {
    if (config.sse === 'aws:kms' && config.kmsKeyId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'a KMS key id, ARN or alias (sse: aws:kms needs one)', input: undefined });
    }
    if (config.sse !== 'aws:kms' && config.kmsKeyId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyId'], message: 'no kmsKeyId, or sse: aws:kms (a KMS key applies only to it)', input: config.kmsKeyId });
    }
  });

export type S3Config = z.infer<typeof s3Config>;

/** `type: s3` destinations in the plan. */
export const s3StorageType: StorageType<S3Config> = {
  type: 's3',
  config: s3Config,
  defaultMedium: 'object-storage',
  create: (config) =>
    new S3Storage({
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
