import { describeError, type DoctorCheck, type DoctorContext } from '@lifeboat/core';
import { mediaS3 } from './client.js';
import type { S3BucketConfig } from './config.js';
import { mediaFindings, readMedia } from './state.js';

/** `lifeboat doctor` for a media bucket: what `lifeboat s3 check` checks (versioning, noncurrent expiry vs versionRetention, replication and its versioned target, public access, object lock). */
export async function doctorMedia(ctx: DoctorContext<S3BucketConfig>): Promise<DoctorCheck[]> {
  try {
    const s3 = await mediaS3(ctx.config);
    try {
      return mediaFindings(ctx.config, await readMedia(s3, ctx.component, ctx.config));
    } finally {
      s3.client.destroy();
    }
  } catch (err) {
    return [{ level: 'critical', check: `media bucket s3://${ctx.config.bucket}`, detail: `cannot read its configuration: ${describeError(err)}` }];
  }
}
