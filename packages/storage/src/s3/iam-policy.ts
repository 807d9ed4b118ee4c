/**
 * `lifeboat s3 policy`: the least an IAM identity needs for what the plan
 * does with its s3 destinations. Backups need object access under each
 * destination's prefix and nothing else: no s3:DeleteObjectVersion and no
 * bucket settings, so stolen backup-host credentials cannot destroy older
 * versions or switch versioning off. `lifeboat s3 apply` needs the bucket
 * settings; that statement is apart, for whoever runs apply.
 */
import type { BucketRequirement, IamStatement, Plan } from '@lifeboat/core';
import { keyPrefix, type BucketDestination, type DesiredBucket } from './bucket-plan.js';
import { planBuckets, s3Destinations } from './s3-buckets.js';
import { isArchiveClass } from './s3-lifecycle.js';

export type { IamStatement };

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

/** The statement only `lifeboat s3 apply` and `lifeboat s3 check` need. */
export const APPLY_SID = 'OnlyForLifeboatS3ApplyAndCheck';

export function iamPolicy(plan: Plan, names: string[] = []): { policy: IamPolicy; notes: string[] } {
  const destinations = s3Destinations(plan, names);
  const buckets = planBuckets(plan, names);
  const notes: string[] = [];
  const statements: IamStatement[] = [];
  const objects = (list: BucketDestination[]) => [...new Set(list.map((d) => `${bucketArn(d)}/${keyPrefix(d.config.prefix)}*`))];

  const byBucket = groupBy(destinations, (d) => bucketArn(d));
  [...byBucket].forEach(([arn, list], i) => {
    const prefixes = [...new Set(list.map((d) => keyPrefix(d.config.prefix)))];
    statements.push({
      Sid: `LifeboatListBackups${byBucket.size > 1 ? i + 1 : ''}`,
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [arn],
      ...(!prefixes.includes('') && { Condition: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } } }),
    });
  });
  statements.push({
    Sid: 'LifeboatReadWriteBackups',
    Effect: 'Allow',
    // Multipart uploads are s3:PutObject; s3:PutObjectTagging lets a put carry the lifeboat-kind tag.
    Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObjectTagging'],
    Resource: objects(destinations),
  });

  // Restores ask S3 to thaw artifacts a lifecycle rule archived.
  const archived = destinations.filter((d) => {
    const bucket = buckets.find((b) => b.destinations.includes(d.name));
    return bucket?.lifecycle.some((rule) => rule.transitions.some((t) => isArchiveClass(t.storageClass))) === true;
  });
  if (archived.length > 0) {
    statements.push({ Sid: 'LifeboatThawArchivedBackups', Effect: 'Allow', Action: ['s3:RestoreObject'], Resource: objects(archived) });
  }

  const kmsKeys = [
    ...new Set(
      buckets.flatMap((b) => [
        ...(b.encryption.algorithm === 'aws:kms' ? [b.encryption.kmsKeyId] : []),
        ...destinations.filter((d) => b.destinations.includes(d.name) && d.config.kmsKeyId !== undefined).map((d) => d.config.kmsKeyId!),
      ]),
    ),
  ];
  if (kmsKeys.length > 0) {
    const arns = kmsKeys.filter((key) => /^arn:[^:]+:kms:[^:]+:\d{12}:key\//.test(key));
    if (arns.length < kmsKeys.length) {
      notes.push(
        `KMS keys named by alias or id (${kmsKeys.filter((k) => !arns.includes(k)).join(', ')}) cannot be an IAM resource; ` +
          'the policy allows any key used through S3 in the region: replace "*" with the key ARNs to narrow it',
      );
    }
    const regions = [...new Set(buckets.map((b) => b.connection.region))];
    statements.push({
      Sid: 'LifeboatUseKmsKeyThroughS3',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: arns.length === kmsKeys.length ? arns : ['*'],
      Condition: { StringEquals: { 'kms:ViaService': regions.map((r) => `s3.${r}.amazonaws.com`) } },
    });
  }

  statements.push({ Sid: APPLY_SID, Effect: 'Allow', Action: applyActions(buckets, { destinations: true }), Resource: buckets.map((b) => bucketArnOf(b.bucket, b.connection.region)) });
  const roles = [...new Set(buckets.flatMap((b) => (b.replication ? [b.replication.roleArn] : [])))];
  if (roles.length > 0) statements.push(passRole(`${APPLY_SID}PassReplicationRole`, roles));
  return { policy: { Version: '2012-10-17', Statement: statements }, notes };
}

/** What readBucketState and applyBucketDiff call, as IAM actions (S3's API names differ from them). */
function applyActions(buckets: Array<{ versioning: boolean; blockPublicAccess: boolean; objectLock?: unknown; replication?: unknown }>, opts: { destinations: boolean }): string[] {
  const actions = new Set(['s3:GetBucketVersioning', 's3:GetEncryptionConfiguration', 's3:GetLifecycleConfiguration']);
  // Apply writes encryption and lifecycle only for destinations' buckets.
  if (opts.destinations) actions.add('s3:PutEncryptionConfiguration').add('s3:PutLifecycleConfiguration'); // DeleteBucketLifecycle is s3:PutLifecycleConfiguration too
  actions.add('s3:GetReplicationConfiguration'); // read to find rules the plan no longer has, or the role in use
  for (const b of buckets) {
    if (b.versioning) actions.add('s3:PutBucketVersioning');
    if (b.blockPublicAccess) actions.add('s3:GetBucketPublicAccessBlock').add('s3:PutBucketPublicAccessBlock');
    if (b.objectLock) actions.add('s3:GetBucketObjectLockConfiguration').add('s3:PutBucketObjectLockConfiguration');
    if (b.replication) actions.add('s3:PutReplicationConfiguration');
  }
  return [...actions].sort();
}

/**
 * The statements `s3 apply`/`s3 check` need for the buckets components rely
 * on (a media bucket, its replica), apart like the destinations' apply
 * statement. Apply never writes their encryption or lifecycle.
 */
export function requirementStatements(requirements: BucketRequirement[]): IamStatement[] {
  if (requirements.length === 0) return [];
  const sid = `${APPLY_SID}ComponentBuckets`;
  const statements: IamStatement[] = [
    { Sid: sid, Effect: 'Allow', Action: applyActions(requirements, { destinations: false }), Resource: [...new Set(requirements.map((r) => bucketArnOf(r.bucket, r.region)))] },
  ];
  const roles = [...new Set(requirements.flatMap((r) => (r.replication?.roleArn !== undefined ? [r.replication.roleArn] : [])))];
  if (roles.length > 0) statements.push(passRole(`${sid}PassReplicationRole`, roles));
  return statements;
}

function passRole(Sid: string, roles: string[]): IamStatement {
  return { Sid, Effect: 'Allow', Action: ['iam:PassRole'], Resource: roles, Condition: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } } };
}

function bucketArn(d: BucketDestination): string {
  return bucketArnOf(d.config.bucket, d.config.region);
}

function bucketArnOf(bucket: string, region: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}`;
}

/** AWS partitions by region: China and GovCloud have their own ARNs. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
