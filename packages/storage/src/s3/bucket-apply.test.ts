import {
  DeleteBucketLifecycleCommand,
  DeleteBucketReplicationCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
  type LifecycleRule,
  type ObjectLockConfiguration,
  type PublicAccessBlockConfiguration,
  type ReplicationConfiguration,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import type { LifecyclePolicy } from '@lifeboat/core';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { applyBucketDiff, reconcileBucket } from './bucket-apply.js';
import { desiredBucket } from './bucket-plan.js';
import { readBucketState } from './bucket-state.js';
import type { S3Config } from './s3-type.js';

const CIVICQ_LIFECYCLE: LifecyclePolicy = {
  scope: 'artifacts',
  transitions: [
    { days: 30, class: 'STANDARD_IA' },
    { days: 90, class: 'GLACIER' },
    { days: 365, class: 'DEEP_ARCHIVE' },
  ],
  expireDays: 2555,
};
const REPLICATION = { bucket: 'civicq-media-backup', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/lifeboat-replication' };
const civicq = (config: Partial<S3Config> = {}) =>
  desiredBucket(
    [{ name: 's3', config: { bucket: 'civicq-backups', region: 'us-west-2', prefix: 'civicq', ...config } }],
    [{ key: 'civicq-backups', policy: CIVICQ_LIFECYCLE }],
  );

function serviceError(name: string, httpStatusCode: number, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
}

/**
 * A bucket held in memory behind a mocked client: Get* read what Put* wrote,
 * a missing configuration is S3's NoSuch… error, and, like S3, replication and
 * object lock are refused without versioning.
 */
function fakeBucket(initial: { objectLock?: boolean } = {}) {
  const client = new S3Client({ region: 'us-west-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const s3 = mockClient(client);
  const state: {
    versioning?: 'Enabled' | 'Suspended';
    // New buckets are encrypted with SSE-S3 by default.
    encryption?: ServerSideEncryptionConfiguration;
    publicAccessBlock?: PublicAccessBlockConfiguration;
    objectLock?: ObjectLockConfiguration;
    lifecycle?: LifecycleRule[];
    replication?: ReplicationConfiguration;
  } = {
    encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    ...(initial.objectLock && { versioning: 'Enabled', objectLock: { ObjectLockEnabled: 'Enabled' } }),
  };
  const orAbsent = <T>(value: T | undefined, code: string): T => {
    if (value === undefined) throw serviceError(code, 404, 'The configuration does not exist');
    return value;
  };
  const needsVersioning = () => {
    if (state.versioning !== 'Enabled') throw serviceError('InvalidRequest', 400, 'Versioning must be Enabled on the bucket');
  };
  s3.on(GetBucketVersioningCommand).callsFake(async () => ({ Status: state.versioning }));
  s3.on(PutBucketVersioningCommand).callsFake(async (input) => void (state.versioning = input.VersioningConfiguration.Status));
  s3.on(GetBucketEncryptionCommand).callsFake(async () => ({
    ServerSideEncryptionConfiguration: orAbsent(state.encryption, 'ServerSideEncryptionConfigurationNotFoundError'),
  }));
  s3.on(PutBucketEncryptionCommand).callsFake(async (input) => void (state.encryption = input.ServerSideEncryptionConfiguration));
  s3.on(GetPublicAccessBlockCommand).callsFake(async () => ({
    PublicAccessBlockConfiguration: orAbsent(state.publicAccessBlock, 'NoSuchPublicAccessBlockConfiguration'),
  }));
  s3.on(PutPublicAccessBlockCommand).callsFake(async (input) => void (state.publicAccessBlock = input.PublicAccessBlockConfiguration));
  s3.on(GetObjectLockConfigurationCommand).callsFake(async () => ({
    ObjectLockConfiguration: orAbsent(state.objectLock, 'ObjectLockConfigurationNotFoundError'),
  }));
  s3.on(PutObjectLockConfigurationCommand).callsFake(async (input) => {
    needsVersioning();
    state.objectLock = input.ObjectLockConfiguration;
  });
  s3.on(GetBucketLifecycleConfigurationCommand).callsFake(async () => ({ Rules: orAbsent(state.lifecycle, 'NoSuchLifecycleConfiguration') }));
  s3.on(PutBucketLifecycleConfigurationCommand).callsFake(async (input) => void (state.lifecycle = input.LifecycleConfiguration.Rules));
  s3.on(DeleteBucketLifecycleCommand).callsFake(async () => void (state.lifecycle = undefined));
  s3.on(GetBucketReplicationCommand).callsFake(async () => ({
    ReplicationConfiguration: orAbsent(state.replication, 'ReplicationConfigurationNotFoundError'),
  }));
  s3.on(PutBucketReplicationCommand).callsFake(async (input) => {
    needsVersioning();
    state.replication = input.ReplicationConfiguration;
  });
  s3.on(DeleteBucketReplicationCommand).callsFake(async () => void (state.replication = undefined));

  /** Names of the Put and Delete commands sent, in order. */
  const writes = () =>
    s3
      .calls()
      .map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''))
      .filter((name) => /^(Put|Delete)/.test(name));
  return { client, s3, state, writes };
}

describe('s3 apply (mocked S3: s3rver lacks versioning/lifecycle/replication)', () => {
  it('sets up a new bucket with the right calls, versioning before replication and object lock', async () => {
    const { client, state, writes } = fakeBucket({ objectLock: false });
    state.versioning = undefined;
    const desired = civicq({ replication: REPLICATION });
    const { diff, applied } = await reconcileBucket(client, desired, { dryRun: false });
    expect(diff.changes.map((c) => c.sentence)).toEqual([
      'enable versioning',
      'block all public access (was: none blocked)',
      'set lifecycle rule lifeboat-artifacts: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 2555 (objects tagged lifeboat-kind=artifact)',
      'set lifecycle rule lifeboat-cleanup: delete noncurrent versions after 30 days, remove expired delete markers, abort incomplete multipart uploads after 7 days (every object under civicq/)',
      'replicate to civicq-media-backup in us-east-1 (objects under civicq/, role arn:aws:iam::123456789012:role/lifeboat-replication)',
    ]);
    expect(applied).toEqual(['versioning', 'publicAccessBlock', 'lifecycle', 'replication']);
    expect(writes()).toEqual(['PutBucketVersioning', 'PutPublicAccessBlock', 'PutBucketLifecycleConfiguration', 'PutBucketReplication']);
    expect(state.versioning).toBe('Enabled');
    expect(state.publicAccessBlock).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(state.lifecycle?.map((rule) => rule.ID)).toEqual(['lifeboat-artifacts', 'lifeboat-cleanup']);
    expect(state.replication).toMatchObject({
      Role: REPLICATION.roleArn,
      Rules: [{ ID: 'lifeboat-replication', Destination: { Bucket: 'arn:aws:s3:::civicq-media-backup' }, Filter: { Prefix: 'civicq/' } }],
    });
  });

  it('a dry run reads the bucket and makes no Put calls', async () => {
    const { client, s3, writes } = fakeBucket();
    const { diff, applied } = await reconcileBucket(client, civicq({ replication: REPLICATION }), { dryRun: true });
    expect(diff.changes).toHaveLength(5);
    expect(applied).toEqual([]);
    expect(writes()).toEqual([]);
    expect(s3.calls().length).toBeGreaterThan(0);
  });

  it('a second apply finds no changes and puts nothing', async () => {
    const { client, writes } = fakeBucket({ objectLock: true });
    const desired = civicq({
      replication: { ...REPLICATION, kmsKeyId: 'alias/replicas' },
      objectLock: { mode: 'GOVERNANCE', days: 30 },
      defaultEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' },
    });
    await reconcileBucket(client, desired, { dryRun: false });
    const written = writes().length;
    expect(writes()).toEqual([
      'PutBucketEncryption',
      'PutPublicAccessBlock',
      'PutObjectLockConfiguration',
      'PutBucketLifecycleConfiguration',
      'PutBucketReplication',
    ]);
    const again = await reconcileBucket(client, desired, { dryRun: false });
    expect(again.diff.changes).toEqual([]);
    expect(again.applied).toEqual([]);
    expect(writes()).toHaveLength(written);
  });

  it('check reports drift: versioning suspended and a Lifeboat rule deleted by hand', async () => {
    const { client, state } = fakeBucket();
    const desired = civicq();
    await reconcileBucket(client, desired, { dryRun: false });
    state.versioning = 'Suspended';
    state.lifecycle = state.lifecycle?.filter((rule) => rule.ID !== 'lifeboat-artifacts');
    const { diff } = await reconcileBucket(client, desired, { dryRun: true });
    expect(diff.changes.map((c) => c.sentence)).toEqual([
      'enable versioning (it is suspended)',
      'set lifecycle rule lifeboat-artifacts: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 2555 (objects tagged lifeboat-kind=artifact)',
    ]);
  });

  it('keeps rules that are not Lifeboat\'s when it rewrites the lifecycle', async () => {
    const { client, state } = fakeBucket();
    const logs: LifecycleRule = { ID: 'app-logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 14 } };
    state.lifecycle = [logs];
    const { diff } = await reconcileBucket(client, civicq(), { dryRun: false });
    expect(diff.notes).toEqual(["keeps lifecycle rule \"app-logs\", which is not Lifeboat's: expire at 14 days (every object under logs/)"]);
    expect(state.lifecycle?.map((rule) => rule.ID)).toEqual(['app-logs', 'lifeboat-artifacts', 'lifeboat-cleanup']);
  });

  it('reads only what the plan manages, and NoSuch…Configuration as absent', async () => {
    const { client, s3 } = fakeBucket();
    const state = await readBucketState(client, civicq({ blockPublicAccess: false }));
    expect(state).toEqual({ versioning: 'Off', encryption: { algorithm: 'AES256' }, lifecycle: [] });
    expect(s3.commandCalls(GetPublicAccessBlockCommand)).toHaveLength(0);
    expect(s3.commandCalls(GetObjectLockConfigurationCommand)).toHaveLength(0);
  });

  it('a refused read or put is one sentence naming the bucket, and what was already set', async () => {
    const { client, s3 } = fakeBucket();
    s3.on(GetBucketReplicationCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
    await expect(reconcileBucket(client, civicq(), { dryRun: true })).rejects.toThrow(
      'cannot read the replication configuration of s3://civicq-backups: access denied to the credentials from the AWS default chain (AccessDenied)',
    );
    s3.on(GetBucketReplicationCommand).rejects(serviceError('ReplicationConfigurationNotFoundError', 404));
    s3.on(PutBucketLifecycleConfigurationCommand).rejects(serviceError('MalformedXML', 400, 'The XML you provided was not well-formed'));
    await expect(reconcileBucket(client, civicq(), { dryRun: false })).rejects.toThrow(
      'cannot set the lifecycle configuration of s3://civicq-backups: The XML you provided was not well-formed (MalformedXML) ' +
        '(versioning, public access block were already set)',
    );
  });

  it('removes the lifecycle configuration when no rule is left in it', async () => {
    const { client, writes } = fakeBucket();
    await applyBucketDiff(client, { bucket: 'civicq-backups', put: { lifecycle: { rules: [] }, replication: null } });
    expect(writes()).toEqual(['DeleteBucketLifecycle', 'DeleteBucketReplication']);
  });
});
