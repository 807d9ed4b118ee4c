import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startS3VersionedFake, type S3VersionedFake } from './s3-versioned-fake.js';

// The fake's behaviour, pinned to what AWS documents for versioned buckets
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html), driven by the real SDK.
let fake: S3VersionedFake;
let s3: S3Client;

beforeAll(async () => {
  fake = await startS3VersionedFake();
  s3 = new S3Client({ endpoint: fake.endpoint, region: fake.region, credentials: fake.credentials, forcePathStyle: true, maxAttempts: 1 });
});
afterAll(async () => {
  s3.destroy();
  await fake.stop();
});

let n = 0;
const freshBucket = async (versioning?: 'Enabled') => {
  const name = `fake-${++n}`;
  fake.createBucket(name, versioning ? { versioning } : {});
  return name;
};
const text = async (Bucket: string, Key: string, VersionId?: string) => (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();
const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as S3ServiceException;
  }
  throw new Error('expected the request to fail');
};

describe('versioning', () => {
  test('a bucket starts unversioned; PutBucketVersioning turns it on and GetBucketVersioning says so', async () => {
    const Bucket = await freshBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
  });

  test('each PUT keeps the earlier versions, readable by versionId; an unversioned bucket answers versionId null', async () => {
    const Bucket = await freshBucket('Enabled');
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'a.jpg', Body: 'one' }))).VersionId!;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'a.jpg', Body: 'two' }))).VersionId!;
    expect(v1).not.toBe(v2);
    expect(await text(Bucket, 'a.jpg')).toBe('two');
    expect(await text(Bucket, 'a.jpg', v1)).toBe('one');

    const plain = await freshBucket();
    await s3.send(new PutObjectCommand({ Bucket: plain, Key: 'a', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: plain, Key: 'a', Body: 'y' }));
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: plain }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([['null', true]]);
  });

  test('DELETE without versionId adds a delete marker: GET answers 404 with x-amz-delete-marker, the version is still there', async () => {
    const Bucket = await freshBucket('Enabled');
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'kept' }))).VersionId!;
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    expect(deleted.DeleteMarker).toBe(true);
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })));
    expect([err.name, err.$metadata.httpStatusCode, err.$response?.headers['x-amz-delete-marker']]).toEqual(['NoSuchKey', 404, 'true']);
    expect(await text(Bucket, 'k', v1)).toBe('kept');
    // GET of the marker itself by versionId: 405 MethodNotAllowed.
    const marker = await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'k', VersionId: deleted.VersionId })));
    expect(marker.$metadata.httpStatusCode).toBe(405);
    // Removing the marker by versionId brings the object back.
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: deleted.VersionId }));
    expect(await text(Bucket, 'k')).toBe('kept');
  });
});

describe('ListObjectVersions', () => {
  test('orders by key, then newest first, marks IsLatest, and lists delete markers apart', async () => {
    const Bucket = await freshBucket('Enabled');
    for (const [Key, Body] of [['b', '1'], ['a', '1'], ['b', '2'], ['a/x', '1']] as const) await s3.send(new PutObjectCommand({ Bucket, Key, Body }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a' }));
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect(page.Versions!.map((v) => [v.Key, v.IsLatest, v.Size])).toEqual([
      ['a', false, 1],
      ['a/x', true, 1],
      ['b', true, 1],
      ['b', false, 1],
    ]);
    expect(page.DeleteMarkers!.map((m) => [m.Key, m.IsLatest])).toEqual([['a', true]]);
    const bs = page.Versions!.filter((v) => v.Key === 'b');
    expect(bs[0]!.LastModified!.getTime()).toBeGreaterThan(bs[1]!.LastModified!.getTime());
  });

  test('pages with KeyMarker/VersionIdMarker and MaxKeys (a page may end inside a key), Prefix filters, IsTruncated ends it', async () => {
    const Bucket = await freshBucket('Enabled');
    for (let i = 0; i < 7; i++) fake.seed(Bucket, `p/${i % 3}`, { body: String(i) });
    fake.seed(Bucket, 'q/other', { body: 'x' });
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/', MaxKeys: 2, KeyMarker, VersionIdMarker }));
      pages++;
      expect((page.Versions ?? []).length).toBeLessThanOrEqual(2);
      seen.push(...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
      if (!page.IsTruncated) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    const all = fake.versions(Bucket).filter((v) => v.key.startsWith('p/'));
    expect(seen).toEqual(all.map((v) => `${v.key}@${v.versionId}`));
    expect(pages).toBe(4);
    // KeyMarker alone starts after every version of that key.
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket, KeyMarker: 'p/1' }));
    expect(after.Versions!.map((v) => v.Key)).toEqual(['p/2', 'p/2', 'q/other']);
  });

  test('ListObjectsV2 lists the current objects only: a key whose latest is a delete marker is absent', async () => {
    const Bucket = await freshBucket('Enabled');
    fake.seed(Bucket, 'a', { body: '1' });
    fake.seed(Bucket, 'b', { body: '1' });
    fake.seed(Bucket, 'b', { deleteMarker: true });
    fake.seed(Bucket, 'c', { body: '1' });
    const first = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1 }));
    expect([first.Contents?.map((c) => c.Key), first.IsTruncated]).toEqual([['a'], true]);
    const rest = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: first.NextContinuationToken }));
    expect([rest.Contents?.map((c) => c.Key), rest.IsTruncated]).toEqual([['c'], false]);
  });

  test('emptyPages: a truncated page with no entries, whose markers continue where it was', async () => {
    const Bucket = await freshBucket('Enabled');
    fake.seed(Bucket, 'a', { body: '1' });
    fake.emptyPages(1);
    const empty = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect([empty.Versions, empty.IsTruncated]).toEqual([undefined, true]);
    const next = await s3.send(new ListObjectVersionsCommand({ Bucket, KeyMarker: empty.NextKeyMarker || undefined }));
    expect(next.Versions!.map((v) => v.Key)).toEqual(['a']);
  });
});

describe('copies, archive classes, replication, throttling', () => {
  test('CopyObject with ?versionId= copies that version as the new latest, with the same ETag', async () => {
    const Bucket = await freshBucket('Enabled');
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'photo.jpg', Body: 'original' }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'photo.jpg', Body: 'overwritten' }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket, Key: 'photo.jpg', CopySource: `${Bucket}/photo.jpg?versionId=${v1}` }));
    expect(copied.CopySourceVersionId).toBe(v1);
    expect(await text(Bucket, 'photo.jpg')).toBe('original');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'photo.jpg' }));
    expect(head.ETag).toBe(copied.CopyObjectResult!.ETag);
    expect(head.ContentLength).toBe(8);
  });

  test('a source over 5 GB is refused by CopyObject and copied by UploadPartCopy ranges (size simulated)', async () => {
    const Bucket = await freshBucket('Enabled');
    const size = 6 * 1024 ** 3;
    const vid = fake.seed(Bucket, 'video.mp4', { size });
    const refused = await errorOf(s3.send(new CopyObjectCommand({ Bucket, Key: 'copy.mp4', CopySource: `${Bucket}/video.mp4?versionId=${vid}` })));
    expect([refused.name, refused.$metadata.httpStatusCode]).toEqual(['InvalidRequest', 400]);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'copy.mp4' }));
    const half = size / 2;
    const parts = [];
    for (const [i, range] of [`bytes=0-${half - 1}`, `bytes=${half}-${size - 1}`].entries()) {
      const part = await s3.send(new UploadPartCopyCommand({ Bucket, Key: 'copy.mp4', UploadId, PartNumber: i + 1, CopySource: `${Bucket}/video.mp4?versionId=${vid}`, CopySourceRange: range }));
      parts.push({ PartNumber: i + 1, ETag: part.CopyPartResult!.ETag! });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'copy.mp4', UploadId, MultipartUpload: { Parts: parts } }));
    expect(done.ETag).toMatch(/-2"$/);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'copy.mp4' }))).ContentLength).toBe(size);
  });

  test('a version in GLACIER or DEEP_ARCHIVE: GET and COPY answer 403 InvalidObjectState; HEAD names the class', async () => {
    const Bucket = await freshBucket('Enabled');
    const vid = fake.seed(Bucket, 'cold', { body: 'zzz', storageClass: 'DEEP_ARCHIVE' });
    const got = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'cold', VersionId: vid })));
    expect([got.name, got.$metadata.httpStatusCode]).toEqual(['InvalidObjectState', 403]);
    const copy = await errorOf(s3.send(new CopyObjectCommand({ Bucket, Key: 'warm', CopySource: `${Bucket}/cold?versionId=${vid}` })));
    expect(copy.name).toBe('InvalidObjectState');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'cold' }))).StorageClass).toBe('DEEP_ARCHIVE');
  });

  test('with a replication rule new objects are PENDING (x-amz-replication-status), which needs versioning on, and a destination that exists with versioning on', async () => {
    const Bucket = await freshBucket();
    const replica = `${Bucket}-replica`;
    const ReplicationConfiguration = { Role: 'arn:aws:iam::123456789012:role/r', Rules: [{ Status: 'Enabled' as const, Priority: 1, Filter: {}, DeleteMarkerReplication: { Status: 'Disabled' as const }, Destination: { Bucket: `arn:aws:s3:::${replica}` } }] };
    const put = async () => {
      const err = await errorOf(s3.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration })));
      return `${err.name}: ${err.message}`;
    };
    expect(await put()).toMatch(/^InvalidRequest: Versioning must be/);
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    expect(await put()).toBe('InvalidRequest: Destination bucket must exist.');
    fake.createBucket(replica);
    expect(await put()).toBe('InvalidRequest: Destination bucket must have versioning enabled.');
    await s3.send(new PutBucketVersioningCommand({ Bucket: replica, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration }));
    const { VersionId } = await s3.send(new PutObjectCommand({ Bucket, Key: 'new', Body: 'n' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'new' }))).ReplicationStatus).toBe('PENDING');
    fake.setReplicationStatus(Bucket, 'new', VersionId!, 'COMPLETED');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'new' }))).ReplicationStatus).toBe('COMPLETED');
  });

  test('lifecycle configuration round-trips; none set is NoSuchLifecycleConfiguration', async () => {
    const Bucket = await freshBucket('Enabled');
    expect((await errorOf(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })))).name).toBe('NoSuchLifecycleConfiguration');
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [{ ID: 'nc', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] } }),
    );
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules!;
    expect(rules[0]!.NoncurrentVersionExpiration!.NoncurrentDays).toBe(30);
  });

  test('public access block round-trips; none set is NoSuchPublicAccessBlockConfiguration', async () => {
    const Bucket = await freshBucket();
    expect((await errorOf(s3.send(new GetPublicAccessBlockCommand({ Bucket })))).name).toBe('NoSuchPublicAccessBlockConfiguration');
    const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
    await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: all }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual(all);
  });

  test('object lock configuration needs versioning on (409 InvalidBucketState), then round-trips; none set is ObjectLockConfigurationNotFoundError', async () => {
    const Bucket = await freshBucket();
    expect((await errorOf(s3.send(new GetObjectLockConfigurationCommand({ Bucket })))).name).toBe('ObjectLockConfigurationNotFoundError');
    const ObjectLockConfiguration = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 30 } } };
    const refused = await errorOf(s3.send(new PutObjectLockConfigurationCommand({ Bucket, ObjectLockConfiguration })));
    expect([refused.name, refused.$metadata.httpStatusCode]).toEqual(['InvalidBucketState', 409]);
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket, ObjectLockConfiguration }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration).toEqual(ObjectLockConfiguration);
  });

  test('corruptNextCopy: the next CopyObject to a matching key stores other bytes of the same size (another ETag), once', async () => {
    const Bucket = await freshBucket('Enabled');
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'a.jpg', Body: 'photo' }))).VersionId!;
    const source = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a.jpg', VersionId: v1 }));
    fake.corruptNextCopy('b.jpg');
    const copy = async (Key: string) => {
      await s3.send(new CopyObjectCommand({ Bucket, Key, CopySource: `${Bucket}/a.jpg?versionId=${v1}` }));
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      return { etag: head.ETag, size: head.ContentLength, same: (await text(Bucket, Key)) === 'photo' };
    };
    expect(await copy('other.jpg')).toEqual({ etag: source.ETag, size: 5, same: true });
    const bad = await copy('b.jpg');
    expect(bad).toMatchObject({ size: 5, same: false });
    expect(bad.etag).not.toBe(source.ETag);
    expect(await copy('b.jpg')).toEqual({ etag: source.ETag, size: 5, same: true });
  });

  test('throttle: the next requests answer 503 SlowDown, which the SDK retries', async () => {
    const Bucket = await freshBucket('Enabled');
    fake.throttle(1);
    const err = await errorOf(s3.send(new PutObjectCommand({ Bucket, Key: 't', Body: 't' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['SlowDown', 503]);
    const retrying = new S3Client({ endpoint: fake.endpoint, region: fake.region, credentials: fake.credentials, forcePathStyle: true, maxAttempts: 3 });
    fake.throttle(2);
    await retrying.send(new PutObjectCommand({ Bucket, Key: 't', Body: 't' }));
    retrying.destroy();
    expect(await text(Bucket, 't')).toBe('t');
  });

  test('failAfter: after N requests of an operation succeed, the next fail (403 AccessDenied, not retried)', async () => {
    const Bucket = await freshBucket('Enabled');
    fake.failAfter('PutObject', 1, 1);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'one', Body: '1' }));
    const err = await errorOf(s3.send(new PutObjectCommand({ Bucket, Key: 'two', Body: '2' })));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'three', Body: '3' }));
    expect(fake.versions(Bucket).map((v) => v.key)).toEqual(['one', 'three']);
  });
});
