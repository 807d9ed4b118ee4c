import { PlanError, parsePlan, type PlanRegistry } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LazyS3Storage } from './lazy-s3-storage.js';
import { s3StorageType, type S3Config } from './s3-type.js';

const parse = (config: Record<string, unknown>) => s3StorageType.config.safeParse({ bucket: 'civicq-backups', region: 'us-west-2', ...config });
const messages = (config: Record<string, unknown>) => parse(config).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('s3StorageType', () => {
  it('is type s3 on object storage', () => {
    expect(s3StorageType).toMatchObject({ type: 's3', defaultMedium: 'object-storage' });
  });

  it('accepts the guide destination and creates s3://bucket/prefix', () => {
    const parsed = parse({ prefix: 'civicq/prod', storageClass: 'STANDARD_IA', sse: 'aws:kms', kmsKeyId: 'alias/backups' });
    expect(parsed.success).toBe(true);
    const adapter = s3StorageType.create({ ...(parsed.data as S3Config), type: 's3', medium: 'object-storage', offsite: true }, { planDir: '/etc/lifeboat' });
    expect(adapter).toBeInstanceOf(LazyS3Storage);
    expect(adapter.description).toBe('s3://civicq-backups/civicq/prod');
  });

  it.each(['ab', 'a'.repeat(64), 'Backups', 'civicq_backups', '-backups', 'backups.', 'civicq..backups', '192.168.1.1', 'xn--backups', 'backups-s3alias'])(
    'refuses the bucket name %j',
    (bucket) => {
      expect(messages({ bucket })).toEqual([
        'bucket: an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
      ]);
    },
  );

  it.each(['abc', 'civicq-backups', 'civicq.backups.2026', 'a'.repeat(63)])('accepts the bucket name %j', (bucket) => {
    expect(parse({ bucket }).success).toBe(true);
  });

  it('refuses archive storage classes, saying where they belong', () => {
    expect(messages({ storageClass: 'GLACIER' })?.[0]).toMatch(/^storageClass: one of STANDARD, .* \(archive classes such as GLACIER and DEEP_ARCHIVE are reached through lifecycle transitions/);
    expect(parse({ storageClass: 'GLACIER_IR' }).success).toBe(true);
  });

  it('needs kmsKeyId exactly when sse is aws:kms', () => {
    expect(messages({ sse: 'aws:kms' })).toEqual(['kmsKeyId: a KMS key id, ARN or alias (sse: aws:kms needs one)']);
    expect(messages({ sse: 'AES256', kmsKeyId: 'alias/x' })).toEqual(['kmsKeyId: no kmsKeyId, or sse: aws:kms (a KMS key applies only to it)']);
    expect(parse({ sse: 'AES256' }).success).toBe(true);
    // create() checks again, for an adapter made without a plan.
    expect(() => s3StorageType.create({ bucket: 'civicq-backups', region: 'us-west-2', sse: 'aws:kms', type: 's3', medium: 'object-storage', offsite: true }, { planDir: '/' })).toThrow(
      's3://civicq-backups uses sse: aws:kms and needs kmsKeyId',
    );
  });

  it('has its own cross-field checks run by the plan loader, which name the plan field', () => {
    const registry: PlanRegistry = { strategies: [{ kind: 'files', config: z.object({ paths: z.array(z.string()) }) }], storage: [s3StorageType] };
    const plan = (cloud: string) => `version: 1
name: civicq
destinations:
  cloud: { type: s3, bucket: civicq-backups, region: us-west-2, offsite: true, ${cloud} }
components:
  config: { type: files, paths: [/etc/civicq], schedule: on-change, rpo: 0, rto: 1h, destinations: [cloud] }
`;
    expect(() => parsePlan(plan('sse: aws:kms'), 'lifeboat.yaml', registry)).toThrow(
      new PlanError(['lifeboat.yaml: destinations.cloud.kmsKeyId: missing; expected a KMS key id, ARN or alias (sse: aws:kms needs one)']),
    );
    expect(() => parsePlan(plan('sse: AES256, kmsKeyId: alias/backups'), 'lifeboat.yaml', registry)).toThrow(
      new PlanError(['lifeboat.yaml: destinations.cloud.kmsKeyId: got "alias/backups"; expected no kmsKeyId, or sse: aws:kms (a KMS key applies only to it)']),
    );
    expect(parsePlan(plan('sse: aws:kms, kmsKeyId: alias/backups, medium: object-storage'), 'lifeboat.yaml', registry).destinations['cloud']).toMatchObject({
      sse: 'aws:kms',
      kmsKeyId: 'alias/backups',
    });
  });

  it('takes an http(s) endpoint without credentials in it, and a folder-like prefix', () => {
    expect(parse({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }).success).toBe(true);
    expect(messages({ endpoint: 'https://key:secret@minio.internal' })?.[0]).toMatch(/^endpoint: an http or https URL without a user or password/);
    expect(parse({ endpoint: 'ftp://minio.internal' }).success).toBe(false);
    expect(parse({ prefix: 'civicq/' }).success).toBe(true);
    for (const prefix of ['/civicq', 'a//b', '../x', 'a\\b', '/']) expect(parse({ prefix }).success, prefix).toBe(false);
  });

  it('takes the bucket settings s3 apply makes, all optional', () => {
    const parsed = parse({
      versioning: true,
      keepNoncurrentDays: 60,
      replication: { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/lifeboat-replication', storageClass: 'STANDARD_IA' },
      objectLock: { mode: 'GOVERNANCE', days: 30 },
      blockPublicAccess: true,
      defaultEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' },
    });
    expect(parsed.error?.issues).toBeUndefined();
    expect(parse({ defaultEncryption: 'AES256' }).success).toBe(true);
    expect(parse({ defaultEncryption: { algorithm: 'AES256' } }).success).toBe(true);
  });

  it('says what is wrong with a bucket setting', () => {
    const replication = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/lifeboat-replication' };
    expect(messages({ replication: { ...replication, roleArn: 'lifeboat-replication' } })).toEqual([
      'replication.roleArn: an IAM role ARN such as arn:aws:iam::123456789012:role/lifeboat-replication',
    ]);
    expect(messages({ replication: { ...replication, storageClass: 'DEEP_ARCHIVE' } })?.[0]).toMatch(/^replication.storageClass: one of STANDARD, .* so that manifests stay readable\)$/);
    expect(messages({ replication: { bucket: 'civicq-media-backup' } })).toEqual([
      'replication.region: an AWS region such as us-west-2',
      'replication.roleArn: an IAM role ARN such as arn:aws:iam::123456789012:role/lifeboat-replication',
    ]);
    expect(messages({ objectLock: { mode: 'governance', days: 0 } })).toEqual([
      'objectLock.mode: GOVERNANCE (users with s3:BypassGovernanceRetention may still delete) or COMPLIANCE (nobody may, not even root)',
      'objectLock.days: a whole number of days, 1 or more',
    ]);
    expect(messages({ defaultEncryption: { algorithm: 'aws:kms' } })).toEqual([
      'defaultEncryption: AES256, or { algorithm: aws:kms, kmsKeyId: <a KMS key id, ARN or alias> }',
    ]);
    expect(messages({ versioning: 'yes' })).toEqual(['versioning: true or false']);
  });

  it('has no field for credentials', () => {
    expect(Object.keys(s3StorageType.config.shape)).not.toContain('accessKeyId');
    expect(Object.keys(s3StorageType.config.shape)).not.toContain('secretAccessKey');
  });
});
