import type { S3Client } from '@aws-sdk/client-s3';
import { UsageError, type DestinationPlan, type Plan } from '@lifeboat/core';
import { desiredBucket, type BucketDestination, type DesiredBucket } from './bucket-plan.js';
import { createS3Client, type S3Connection } from './s3-client.js';
import type { S3Config } from './s3-type.js';

/**
 * The buckets of a plan's s3 destinations (or of those named), each with its
 * desired configuration. A bucket's configuration is one for all the
 * destinations in it, so naming one destination brings in the others there.
 */
export function planBuckets(plan: Plan, names: string[] = []): DesiredBucket[] {
  const groups = new Map<string, BucketDestination[]>();
  for (const destination of s3Destinations(plan, names, { all: true })) {
    const config = destination.config;
    const key = `${config.endpoint ?? ''} ${config.bucket}`;
    groups.set(key, [...(groups.get(key) ?? []), destination]);
  }
  const chosen = new Set(s3Destinations(plan, names).map((d) => d.name));
  return [...groups.values()]
    .filter((group) => group.some((d) => chosen.has(d.name)))
    .map((group) => {
      const bucket = group[0]!.config.bucket;
      const lifecycle = Object.entries(plan.lifecycle)
        .filter(([key]) => key === bucket || group.some((d) => d.name === key))
        .map(([key, policy]) => ({ key, policy }));
      return desiredBucket(group, lifecycle);
    });
}

/** The s3 destinations named (all of them when none are), with their plan fields. */
export function s3Destinations(plan: Plan, names: string[], opts: { all?: boolean } = {}): BucketDestination[] {
  const s3 = Object.values(plan.destinations).filter((d) => d.type === 's3');
  if (s3.length === 0) throw new UsageError(`${plan.file} has no s3 destinations`);
  const listed = s3.map((d) => d.name).join(', ');
  for (const name of names) {
    const destination = plan.destinations[name];
    if (destination === undefined) throw new UsageError(`${plan.file} has no destination '${name}'; its s3 destinations are ${listed}`);
    if (destination.type !== 's3') throw new UsageError(`destination '${name}' is type ${destination.type}, not s3; the s3 destinations are ${listed}`);
  }
  return s3.filter((d) => opts.all === true || names.length === 0 || names.includes(d.name)).map(asBucketDestination);
}

/** A client for the bucket, with credentials from the AWS default chain. */
export function bucketClient(desired: DesiredBucket, connection: Partial<S3Connection> = {}): S3Client {
  return createS3Client({ ...connection, ...desired.connection });
}

function asBucketDestination(destination: DestinationPlan): BucketDestination {
  // The plan loader has parsed these fields with s3StorageType's schema.
  return { name: destination.name, config: destination as unknown as S3Config };
}
