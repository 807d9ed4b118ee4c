import { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, GetObjectTaggingCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { LifeboatError } from '@lifeboat/core';
import { externalS3, startS3, type TestS3 } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageContract } from '@lifeboat/storage/contract';
import { failingBody, stallingBody } from '../contract/bodies.js';
import { S3Storage, type S3StorageOptions } from './s3-adapter.js';
import { desiredBucket } from './bucket-plan.js';
import { readBucketState } from './bucket-state.js';

const MiB = 1024 * 1024;
/**
 * s3rver writes every part to disk, then copies the parts into the object and
 * reads it back from disk. On the 2-core box, 1 GiB each way takes ~25 s and
 * 2 GiB ~70 s (more when the box is busy), so 1 GiB; the fs suite keeps 2 GiB.
 */
const LARGE_BYTES = 1024 * MiB;

let s3: TestS3;
let bucket: string;
beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.bucket(); // one fresh bucket for this file: the contract gives every test its own prefix
});
afterAll(() => s3?.stop());

/**
 * The adapter as the plan would make it, plus s3rver's credentials. The
 * checksum settings stay the SDK's defaults, as in production: the adapter
 * only ever sends whole Buffers (lib-storage cuts the stream into parts), and
 * s3rver mangles only streamed, aws-chunked bodies.
 */
const onS3rver = (options: Partial<S3StorageOptions> = {}) =>
  new S3Storage({
    bucket,
    prefix: 'lifeboat/test',
    region: s3.region,
    endpoint: s3.endpoint,
    clientConfig: { credentials: s3.credentials },
    ...options,
  });

// s3rver ignores If-None-Match / If-Match on PUT; the conditions themselves are tested mocked (s3-adapter.test.ts).
// The SDK's parts in flight, the part being filled and its cut copy, and the download's buffers: 152–165 MiB for 1 GiB
// on a quiet box, 235 MiB once in CI with every package's tests running at once (a forced collection before each sample
// changed nothing: the memory is held, not garbage); under a third of the object still catches a transfer that holds it.
storageContract('s3 (s3rver)', async () => ({ adapter: onS3rver() }), { largeBytes: LARGE_BYTES, conditionalWrites: false, rssGrowthLimit: 320 * MiB });

// With LIFEBOAT_TEST_S3_ENDPOINT and LIFEBOAT_TEST_S3_BUCKET set (MinIO, AWS…),
// the same contract also runs against that store; without them it is not registered.
const external = externalS3();
if (external !== undefined) {
  const { endpoint, bucket: externalBucket, region } = external;
  // Credentials come from the AWS default chain, exactly as in production.
  const onExternal = () => new S3Storage({ bucket: externalBucket, prefix: 'lifeboat-test', region, endpoint });
  storageContract(`s3 (${endpoint})`, async () => ({ adapter: onExternal() }), { largeBytes: LARGE_BYTES });

  describe(`S3Storage on ${endpoint}`, () => {
    it('a failed multipart put leaves no upload behind (ListMultipartUploads)', async () => {
      const key = `abort-${Date.now()}/broken.bin`;
      const putting = onExternal().put(key, failingBody(20 * MiB, new Error('source crashed')), { expectedBytes: 20 * MiB });
      await expect(putting).rejects.toThrow('source crashed');
      const client = new S3Client({ region, endpoint, forcePathStyle: true });
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: externalBucket, Prefix: `lifeboat-test/${key}` }));
      expect(uploads.Uploads ?? []).toEqual([]);
    }, 120_000);
  });
}

describe('S3Storage on s3rver', () => {
  const body = (text: string) => Readable.from([Buffer.from(text)]);
  const client = () => new S3Client({ ...s3.clientConfig });

  it('keeps keys relative to its prefix and sees nothing outside it', async () => {
    const inside = onS3rver({ prefix: 'relative/inner' });
    const outside = onS3rver({ prefix: 'relative' });
    await inside.put('db/a.dump', body('a'));
    await outside.put('elsewhere.txt', body('b'));
    const listed: string[] = [];
    for await (const object of inside.list('')) listed.push(object.key);
    expect(listed).toEqual(['db/a.dump']);
    expect(await outside.head('inner/db/a.dump')).toMatchObject({ key: 'inner/db/a.dump', bytes: 1 });
    await outside.delete(['elsewhere.txt', 'inner/db/a.dump']);
  });

  it('a put that fails after some parts rejects, shows no object, and says the parts could not be aborted', async () => {
    // s3rver implements neither AbortMultipartUpload nor ListMultipartUploads (see the last
    // test), so the parts stay and the message must say so. The abort itself is proven
    // with a mocked client in s3-adapter.test.ts and against LIFEBOAT_TEST_S3_ENDPOINT.
    const storage = onS3rver({ prefix: 'multipart-failure' });
    const failed = storage.put('big.bin', failingBody(20 * MiB, new Error('source crashed')), { expectedBytes: 20 * MiB });
    await expect(failed).rejects.toThrow(
      `cannot write s3://${bucket}/multipart-failure/big.bin: source crashed; aborting its multipart upload also failed (MethodNotAllowed: `,
    );
    expect(await storage.head('big.bin')).toBeUndefined();

    const controller = new AbortController();
    const { body: hanging, stalled } = stallingBody(20 * MiB);
    const aborted = storage.put('aborted.bin', hanging, { signal: controller.signal, expectedBytes: 40 * MiB });
    await stalled;
    controller.abort();
    await expect(aborted).rejects.toThrow('The operation was aborted');
    expect(await storage.head('aborted.bin')).toBeUndefined();
  });

  describe('errors are one sentence naming the destination, the key and the S3 code', () => {
    it('a missing bucket', async () => {
      const storage = onS3rver({ bucket: 'no-such-bucket-here', prefix: 'p' });
      await expect(storage.put('db/x.dump', body('x'))).rejects.toThrow(
        new LifeboatError('cannot write s3://no-such-bucket-here/p/db/x.dump: the bucket does not exist (NoSuchBucket)'),
      );
      await expect(storage.get('db/x.dump')).rejects.toThrow(
        'cannot read s3://no-such-bucket-here/p/db/x.dump: the bucket does not exist (NoSuchBucket)',
      );
      await expect(storage.head('db/x.dump')).rejects.toThrow(
        'cannot read s3://no-such-bucket-here/p/db/x.dump: the bucket does not exist (NoSuchBucket)',
      );
      await expect(storage.list('db/')[Symbol.asyncIterator]().next()).rejects.toThrow(
        'cannot list s3://no-such-bucket-here/p/db: the bucket does not exist (NoSuchBucket)',
      );
    });

    it('credentials S3 does not know, without showing the secret', async () => {
      const secretAccessKey = 'not-the-secret-0123456789';
      const storage = onS3rver({ clientConfig: { credentials: { accessKeyId: 'NOBODY', secretAccessKey } } });
      const error = await storage.put('db/x.dump', body('x')).then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(LifeboatError);
      expect((error as Error).message).toBe(
        'cannot write s3://' + bucket + '/lifeboat/test/db/x.dump: S3 does not know the access key id from the AWS default chain (InvalidAccessKeyId)',
      );
      expect((error as Error).cause).toBeUndefined();
      const headError = await storage.head('db/x.dump').then(() => undefined, (err: unknown) => err);
      expect((headError as Error).message).toMatch(new RegExp(`^cannot read s3://${bucket}/lifeboat/test/db/x.dump: .* \\(Forbidden\\)$`));
    });
  });

  it('tags an artifact in its put and not a manifest; s3rver takes the header but drops the tag, hence the mocked tests', async () => {
    const recording = client();
    const sent: Array<string | undefined> = [];
    recording.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method?: string; headers?: Record<string, string> };
        if (request.method === 'PUT') sent.push(request.headers?.['x-amz-tagging']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordTagging' },
    );
    const storage = onS3rver({ prefix: 'tagging', client: recording });
    await storage.put('db/x/db.dump.age', body('artifact'), { kind: 'artifact' });
    await storage.put('db/x/manifest.json', body('{}'));
    expect(sent).toEqual(['lifeboat-kind=artifact', undefined]);
    expect(await storage.head('db/x/db.dump.age')).toMatchObject({ bytes: 8 });
    // GetObjectTagging works on s3rver, but it never stored the tag sent with the put.
    const tags = await recording.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'tagging/db/x/db.dump.age' }));
    expect(tags.TagSet).toEqual([]);
    await storage.delete(['db/x/db.dump.age', 'db/x/manifest.json']);
  });

  it('s3rver lacks bucket encryption, lifecycle and replication: reading them is one sentence, hence the mocked tests', async () => {
    // Versioning is no better: s3rver does not know ?versioning and answers with a bucket listing, which reads as "never enabled".
    const desired = desiredBucket([{ name: 's3', config: { bucket, region: s3.region, endpoint: s3.endpoint } }]);
    await expect(readBucketState(client(), desired)).rejects.toThrow(
      new LifeboatError(
        `cannot read the default encryption of s3://${bucket}: the store does not implement this request (S3-compatible stores often lack bucket settings) (NotImplemented)`,
      ),
    );
  });

  it('s3rver lacks AbortMultipartUpload and ListMultipartUploads, hence the mocked tests', async () => {
    const raw = client();
    await expect(raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'x', UploadId: 'nope' }))).rejects.toThrow();
    await expect(raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).rejects.toThrow(/implemented/i);
  });
});
