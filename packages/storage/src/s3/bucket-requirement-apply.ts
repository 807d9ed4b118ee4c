import type { S3Client } from '@aws-sdk/client-s3';
import { bucketShortfalls, observeBucket, requirementRuleId, type BucketRequirement, type BucketShortfall, type RequirementSetting } from '@lifeboat/core';
import { applyBucketDiff } from './bucket-apply.js';
import { replicationRuleOf, type BucketPuts } from './bucket-diff.js';
import { readBucketState, type BucketState } from './bucket-state.js';

/**
 * `lifeboat s3 check` / `s3 apply` for a bucket a component relies on (a
 * media bucket, its replica): read it, find what is not as the requirement
 * needs (`bucketShortfalls`, the same code as the kind's doctor and status),
 * and unless `dryRun` put what can be put. Never shortens a retention nor
 * touches a rule it did not write: such shortfalls stay problems.
 */
export async function reconcileRequirement(client: S3Client, req: BucketRequirement, opts: { dryRun: boolean }): Promise<{ shortfalls: BucketShortfall[]; applied: RequirementSetting[] }> {
  const state = await readBucketState(client, { bucket: req.bucket, blockPublicAccess: req.blockPublicAccess, objectLock: req.objectLock });
  const shortfalls = bucketShortfalls(req, observeBucket(req, answersOf(state)));
  if (opts.dryRun) return { shortfalls, applied: [] };
  const put = requirementPuts(req, state, shortfalls);
  const applied = await applyBucketDiff(client, { bucket: req.bucket, put });
  return { shortfalls, applied: applied as RequirementSetting[] };
}

/** storage's reading of a bucket, as the S3 answers `observeBucket` takes. */
function answersOf(state: BucketState): Parameters<typeof observeBucket>[1] {
  const lock = state.objectLock;
  return {
    versioning: { Status: state.versioning },
    lifecycleRules: state.lifecycle,
    ...(state.replication !== undefined && { replication: state.replication }),
    ...(state.publicAccessBlock !== undefined && { publicAccessBlock: state.publicAccessBlock }),
    ...(lock !== undefined && {
      objectLock: { ObjectLockEnabled: lock.enabled ? 'Enabled' : undefined, Rule: { DefaultRetention: { Mode: lock.mode, Days: lock.days, Years: lock.years } } },
    }),
  };
}

/** What apply puts for the shortfalls it can fix (those with a `change`). */
export function requirementPuts(req: BucketRequirement, state: Pick<BucketState, 'replication'>, shortfalls: BucketShortfall[]): BucketPuts {
  const put: BucketPuts = {};
  for (const s of shortfalls) {
    if (s.change === undefined) continue;
    if (s.setting === 'versioning') put.versioning = true;
    else if (s.setting === 'publicAccessBlock') put.publicAccessBlock = true;
    else if (s.setting === 'objectLock' && req.objectLock !== undefined) put.objectLock = req.objectLock;
    else if (s.setting === 'replication' && req.replication !== undefined) {
      const id = requirementRuleId(req);
      const role = req.replication.roleArn ?? state.replication?.Role;
      if (role === undefined) continue;
      // Others' rules stay as they are; Lifeboat's own rule for this component is replaced.
      const theirs = (state.replication?.Rules ?? []).filter((rule) => rule.ID !== id);
      const partition = /^arn:([^:]+):/.exec(role)?.[1] ?? 'aws';
      const priority = Math.max(0, ...theirs.map((rule) => rule.Priority ?? 0)) + 1;
      put.replication = { Role: role, Rules: [...theirs, replicationRuleOf({ id, prefix: req.prefix, bucket: req.replication.bucket, region: req.replication.region }, priority, partition)] };
    }
  }
  return put;
}
