import type { S3Client } from '@aws-sdk/client-s3';
import type { S3BucketConfig } from './config.js';

export type S3Sdk = typeof import('@aws-sdk/client-s3');

/** The SDK and a client for the media bucket's region, loaded only when a media operation runs (it is large). */
export interface MediaS3 {
  sdk: S3Sdk;
  client: S3Client;
}

/** Attempts per request: the SDK's adaptive mode backs off (and slows its own rate) on SlowDown and 5xx. */
export const MEDIA_MAX_ATTEMPTS = 10;

/**
 * A client for `region` (the bucket's, or a replica's), with credentials from
 * the AWS default chain; `endpoint` (S3-compatible stores, the tests' fake)
 * switches to path-style addressing.
 */
export async function mediaS3(config: Pick<S3BucketConfig, 'region' | 'endpoint'>, region = config.region): Promise<MediaS3> {
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    region,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    retryMode: 'adaptive',
    maxAttempts: MEDIA_MAX_ATTEMPTS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { sdk, client };
}

/** Whether a bucket's versioning is on, as S3 says. */
export async function versioningOf(s3: MediaS3, bucket: string): Promise<'Enabled' | 'Suspended' | 'off'> {
  const found = await s3.client.send(new s3.sdk.GetBucketVersioningCommand({ Bucket: bucket }));
  return found.Status === 'Enabled' || found.Status === 'Suspended' ? found.Status : 'off';
}
