/**
 * The only module of the testkit that reads `process.env`.
 *
 * LIFEBOAT_TEST_SERVICES=containers|local forces where test servers come from;
 * unset (or `auto`), containers are used when a runtime answers, local
 * binaries otherwise.
 *
 * LIFEBOAT_TEST_S3_ENDPOINT + LIFEBOAT_TEST_S3_BUCKET (+ LIFEBOAT_TEST_S3_REGION,
 * else AWS_REGION, else us-east-1) name a real S3-protocol store (MinIO, AWS…)
 * that S3 tests also run against, with credentials from the AWS default chain.
 */
export type ServiceMode = 'auto' | 'containers' | 'local';

export interface TestkitEnv {
  services: ServiceMode;
  /** The PATH handed to core when it looks for local server binaries. */
  path: string;
  /** An S3-protocol store to test against besides s3rver; unset, only s3rver. */
  s3?: ExternalS3;
}

export interface ExternalS3 {
  endpoint: string;
  bucket: string;
  region: string;
}

export function parseExternalS3(env: NodeJS.ProcessEnv): ExternalS3 | undefined {
  const endpoint = env.LIFEBOAT_TEST_S3_ENDPOINT?.trim() ?? '';
  const bucket = env.LIFEBOAT_TEST_S3_BUCKET?.trim() ?? '';
  if (endpoint === '') {
    if (bucket !== '') throw new Error('LIFEBOAT_TEST_S3_BUCKET is set, but LIFEBOAT_TEST_S3_ENDPOINT is not; set both, or neither');
    return undefined;
  }
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`LIFEBOAT_TEST_S3_ENDPOINT is "${endpoint}"; expected an http or https URL such as http://127.0.0.1:9000`);
  }
  if (bucket === '') {
    throw new Error('LIFEBOAT_TEST_S3_ENDPOINT is set, so LIFEBOAT_TEST_S3_BUCKET must name a bucket the tests may write to');
  }
  const region = env.LIFEBOAT_TEST_S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1';
  return { endpoint, bucket, region };
}

export function parseServiceMode(value: string | undefined): ServiceMode {
  const mode = (value ?? '').trim().toLowerCase();
  if (mode === '' || mode === 'auto') return 'auto';
  if (mode === 'containers' || mode === 'local') return mode;
  throw new Error(`LIFEBOAT_TEST_SERVICES is "${value}"; expected containers, local or auto (or unset)`);
}

export function readTestkitEnv(env: NodeJS.ProcessEnv = process.env): TestkitEnv {
  return {
    services: parseServiceMode(env.LIFEBOAT_TEST_SERVICES),
    path: env.PATH ?? '',
    s3: parseExternalS3(env),
  };
}
