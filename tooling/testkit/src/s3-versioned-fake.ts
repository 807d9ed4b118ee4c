import { startS3VersionedFake, type S3VersionedFake } from '@lifeboat/ephemeral';

// The fake itself lives in @lifeboat/ephemeral (the demo runs it too); its behaviour is pinned in s3-versioned-fake.test.ts here.
export { startS3VersionedFake, decodeAwsChunked, FAKE_REGION } from '@lifeboat/ephemeral';
export type { S3VersionedFake, FakeVersion, SeedVersion, FakeStorageClass, FakeReplicationStatus } from '@lifeboat/ephemeral';

/**
 * For a test file: starts the fake before its tests and stops it after, with
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set for the SDK's default chain
 * (put back afterwards). The returned function gives the running fake.
 */
export function useS3VersionedFake(hooks: { beforeAll(fn: () => Promise<void>): void; afterAll(fn: () => Promise<void>): void }): () => S3VersionedFake {
  let fake: S3VersionedFake | undefined;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  hooks.beforeAll(async () => {
    fake = await startS3VersionedFake();
    process.env.AWS_ACCESS_KEY_ID = fake.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = fake.credentials.secretAccessKey;
  });
  hooks.afterAll(async () => {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await fake?.stop();
  });
  return () => {
    if (!fake) throw new Error('the S3 versioning fake is used outside a test');
    return fake;
  };
}

/**
 * The real `@aws-sdk/client-s3` and a client on `target` — the fake (its
 * endpoint, path style, its credentials), or real AWS (a region only:
 * credentials from the default chain) — for test files in packages that do
 * not depend on the SDK themselves (the apps): to set up buckets and read
 * them back as S3 answers. Destroy the client.
 */
export async function s3SdkFor(target: { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } }): Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: import('@aws-sdk/client-s3').S3Client }> {
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    region: target.region,
    ...(target.endpoint !== undefined ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    ...(target.credentials !== undefined ? { credentials: target.credentials } : {}),
  });
  return { sdk, client };
}
