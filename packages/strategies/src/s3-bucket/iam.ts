import type { ComponentPlan, IamStatement } from '@lifeboat/core';
import { awsPartition } from '../aws-partition.js';
import type { S3BucketConfig } from './config.js';
import { DRILL_PREFIX } from './names.js';

/**
 * What a media component needs at run time, by action (`lifeboat s3 policy`):
 * checkpoints list versions, status and doctor read the bucket's settings,
 * restores read versions and write copies (and delete markers) under the
 * protected prefix, drills write and remove their scratch prefix. What s3
 * apply/check need for its buckets is the storage's apply statement.
 */
export function mediaIamStatements({ component, config }: { component: string; config: ComponentPlan & S3BucketConfig }): { statements: IamStatement[]; notes: string[] } {
  const sid = (name: string) => `LifeboatMedia${name}${component.replace(/[^A-Za-z0-9]/g, '')}`;
  const bucket = (name: string, region: string) => `arn:${awsPartition(region)}:s3:::${name}`;
  const own = bucket(config.bucket, config.region);
  const prefix = config.prefix ?? '';
  const objects = [`${own}/${prefix}*`, ...(prefix === '' ? [] : [`${own}/${DRILL_PREFIX}*`])];
  const settings = ['s3:GetBucketVersioning', 's3:GetLifecycleConfiguration', 's3:GetReplicationConfiguration'];
  if (config.blockPublicAccess !== false) settings.push('s3:GetBucketPublicAccessBlock');
  if (config.objectLock) settings.push('s3:GetBucketObjectLockConfiguration');
  const statements: IamStatement[] = [
    {
      Sid: sid('ListVersionsAndSettings'),
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:ListBucketVersions', ...settings.sort()],
      Resource: [own],
    },
    {
      Sid: sid('ReadAndRestoreVersions'),
      Effect: 'Allow',
      // DeleteObjectVersion only removes delete markers (--undelete) and drill scratch copies; every version restored from stays.
      Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      Resource: objects,
    },
  ];
  if (config.replication) {
    statements.push({ Sid: sid('ReadReplicaVersioning'), Effect: 'Allow', Action: ['s3:GetBucketVersioning'], Resource: [bucket(config.replication.bucket, config.replication.region)] });
  }
  return {
    statements,
    notes: [`restore ${component} --to-bucket B needs s3:ListBucket and s3:PutObject on B as well; the policy covers only s3://${config.bucket}`],
  };
}
