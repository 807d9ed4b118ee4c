/**
 * What an s3 destination may be set to, and the checks made when one is
 * created, without the AWS SDK: the plan schema (s3-type.ts) and the lazy
 * adapter use these at start-up, and the SDK loads only when a bucket is used.
 */
import { UsageError } from '@lifeboat/core';
import { PREFIX_RULES, normalizePrefix } from './prefix.js';

/**
 * Storage classes a destination may write. All of them can be read at once:
 * archive classes (GLACIER, DEEP_ARCHIVE) need a restore request before a read,
 * which would lock the catalog (manifests) away; they are reached through
 * lifecycle transitions instead, which can spare the manifests.
 */
export const S3_STORAGE_CLASSES = ['STANDARD', 'INTELLIGENT_TIERING', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR'] as const;
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

export const S3_SERVER_SIDE_ENCRYPTION = ['AES256', 'aws:kms'] as const;
export type S3ServerSideEncryption = (typeof S3_SERVER_SIDE_ENCRYPTION)[number];

/** `s3://bucket/prefix` for messages, after checking the prefix and the encryption settings. */
export function s3Destination(options: { bucket: string; prefix?: string; sse?: S3ServerSideEncryption; kmsKeyId?: string }): {
  prefix: string;
  description: string;
} {
  const prefix = normalizePrefix(options.prefix ?? '');
  if (prefix === undefined) {
    throw new UsageError(`The prefix ${JSON.stringify(options.prefix)} of s3://${options.bucket} is not valid: expected ${PREFIX_RULES}.`);
  }
  const description = `s3://${options.bucket}${prefix === '' ? '' : `/${prefix}`}`;
  if (options.sse === 'aws:kms' && (options.kmsKeyId === undefined || options.kmsKeyId === '')) {
    throw new UsageError(`${description} uses sse: aws:kms and needs kmsKeyId, the KMS key (id, ARN or alias) to encrypt with.`);
  }
  if (options.sse !== 'aws:kms' && options.kmsKeyId !== undefined) {
    throw new UsageError(`${description} has a kmsKeyId, which only applies with sse: aws:kms.`);
  }
  return { prefix, description };
}
