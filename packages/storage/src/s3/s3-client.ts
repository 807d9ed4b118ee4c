import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where and how to reach a bucket: what the adapter and `lifeboat s3 apply` share. */
export interface S3Connection {
  region: string;
  /** S3-compatible stores (MinIO, R2, Ceph): their URL. */
  endpoint?: string;
  /** Bucket in the path rather than the host name; defaults to true with an `endpoint`. */
  forcePathStyle?: boolean;
  /** Attempts per request, retried with the SDK's standard backoff on throttling and 5xx. Default 5. */
  maxAttempts?: number;
  /**
   * Further `S3Client` settings, for code only, never from the plan (tests
   * hand in credentials for a local server this way). The options above win.
   */
  clientConfig?: S3ClientConfig;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/** A client whose credentials come from the AWS default chain (or `clientConfig`), never from the plan. */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client(s3ClientConfig(connection));
}

export function s3ClientConfig(connection: S3Connection): S3ClientConfig {
  return {
    ...connection.clientConfig,
    region: connection.region,
    ...(connection.endpoint !== undefined && { endpoint: connection.endpoint }),
    forcePathStyle: connection.forcePathStyle ?? connection.endpoint !== undefined,
    // Exponential backoff with jitter on throttling (SlowDown), 5xx and timeouts.
    // Every request body is a Buffer (lib-storage cuts parts), so retries can resend it.
    retryMode: 'standard',
    maxAttempts: connection.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}
