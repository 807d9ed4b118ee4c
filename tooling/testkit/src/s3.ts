import { startEphemeralS3, type EphemeralS3 } from '@lifeboat/ephemeral';
import { readTestkitEnv, type ExternalS3 } from './env.js';

export type { ExternalS3 } from './env.js';
export type TestS3 = EphemeralS3;

/** A real S3-protocol server on loopback (s3rver), stopped with `stop()`. */
export function startS3(): Promise<TestS3> {
  return startEphemeralS3();
}

/** The S3-protocol store named by LIFEBOAT_TEST_S3_ENDPOINT and LIFEBOAT_TEST_S3_BUCKET, if any. */
export function externalS3(): ExternalS3 | undefined {
  return readTestkitEnv().s3;
}
