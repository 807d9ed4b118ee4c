import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  InvalidObjectState,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CopyUnusableError, LifeboatError, UsageError } from '@lifeboat/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { failingBody, stallingBody } from '../contract/bodies.js';
import { ArchivedCopyError } from './archived-object.js';
import { S3Storage, type S3StorageOptions } from './s3-adapter.js';

const MiB = 1024 * 1024;
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET };
const body = (text: string) => Readable.from([Buffer.from(text)]);

/** An S3Client whose `send` is stubbed: no request leaves the process. */
function mocked(options: Partial<S3StorageOptions> = {}) {
  const client = new S3Client({ region: 'us-west-2', credentials });
  const s3 = mockClient(client);
  const storage = new S3Storage({ bucket: 'backups', prefix: 'civicq', region: 'us-west-2', client, ...options });
  return { s3, storage };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection, got ${String(outcome)}`);
  return outcome;
}

describe('S3Storage', () => {
  it('describes itself as s3://bucket/prefix and trims slashes from the prefix', () => {
    expect(mocked().storage.description).toBe('s3://backups/civicq');
    expect(mocked({ prefix: 'civicq/prod/' }).storage.description).toBe('s3://backups/civicq/prod');
    expect(mocked({ prefix: '' }).storage.description).toBe('s3://backups');
  });

  it('refuses a prefix that is not a folder path, and a KMS key without aws:kms', () => {
    expect(() => mocked({ prefix: '/abs' })).toThrow(UsageError);
    expect(() => mocked({ prefix: 'a/../b' })).toThrow('The prefix "a/../b" of s3://backups is not valid');
    expect(() => mocked({ sse: 'aws:kms' })).toThrow('s3://backups/civicq uses sse: aws:kms and needs kmsKeyId');
    expect(() => mocked({ sse: 'AES256', kmsKeyId: 'alias/backups' })).toThrow('s3://backups/civicq has a kmsKeyId, which only applies with sse: aws:kms.');
  });

  describe('sends the storage class and encryption configured for the destination', () => {
    const options = { storageClass: 'STANDARD_IA', sse: 'aws:kms', kmsKeyId: 'alias/lifeboat' } as const;
    const expected = { Bucket: 'backups', StorageClass: 'STANDARD_IA', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/lifeboat' };

    it('on a single-request put (mocked S3: s3rver ignores storage classes and SSE)', async () => {
      const { s3, storage } = mocked(options);
      s3.on(PutObjectCommand).resolves({});
      expect(await storage.put('db/small.dump', body('small'))).toMatchObject({ key: 'db/small.dump', bytes: 5 });
      expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ ...expected, Key: 'civicq/db/small.dump' });
    });

    it('on a multipart put (mocked S3: s3rver ignores storage classes and SSE)', async () => {
      const { s3, storage } = mocked(options);
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
      s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"etag-${input.PartNumber}"` }));
      s3.on(CompleteMultipartUploadCommand).resolves({});
      const stored = await storage.put('db/big.dump', Readable.from([Buffer.alloc(20 * MiB, 1)]), { expectedBytes: 20 * MiB });
      // Counted while streaming, not taken from S3's answer.
      expect(stored).toMatchObject({ key: 'db/big.dump', bytes: 20 * MiB });
      expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({ ...expected, Key: 'civicq/db/big.dump' });
      expect(s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input.PartNumber).sort()).toEqual([1, 2, 3]);
      expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
        Key: 'civicq/db/big.dump',
        UploadId: 'upload-1',
        MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"` })) },
      });
    });

    it('and nothing of the kind when none is configured (mocked S3: s3rver ignores them anyway)', async () => {
      const { s3, storage } = mocked();
      s3.on(PutObjectCommand).resolves({});
      await storage.put('x', body('x'));
      const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
      expect(input).not.toHaveProperty('StorageClass');
      expect(input).not.toHaveProperty('ServerSideEncryption');
    });
  });

  describe('tags artifacts lifeboat-kind=artifact for lifecycle rules, in the upload itself', () => {
    it('on a single-request put, and not on a manifest (mocked S3: s3rver drops the tags sent with a put)', async () => {
      const { s3, storage } = mocked();
      s3.on(PutObjectCommand).resolves({});
      await storage.put('db/2026/02/x/db.dump.age', body('data'), { kind: 'artifact' });
      await storage.put('db/2026/02/x/manifest.json', body('{}'));
      const inputs = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
      expect(inputs[0]).toMatchObject({ Key: 'civicq/db/2026/02/x/db.dump.age', Tagging: 'lifeboat-kind=artifact' });
      expect(inputs[1]).not.toHaveProperty('Tagging');
    });

    it('on CreateMultipartUpload, so no part of the object is ever untagged (mocked S3: s3rver drops the tags sent with a put)', async () => {
      const { s3, storage } = mocked();
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
      s3.on(UploadPartCommand).resolves({ ETag: '"etag"' });
      s3.on(CompleteMultipartUploadCommand).resolves({});
      await storage.put('db/big.dump.age', Readable.from([Buffer.alloc(20 * MiB, 1)]), { expectedBytes: 20 * MiB, kind: 'artifact' });
      expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({ Key: 'civicq/db/big.dump.age', Tagging: 'lifeboat-kind=artifact' });
    });
  });

  describe('an archived artifact (GLACIER, DEEP_ARCHIVE) is thawed, and its copy unusable for now', () => {
    const archived = (StorageClass: 'GLACIER' | 'DEEP_ARCHIVE') =>
      new InvalidObjectState({ message: 'The operation is not valid for the object\'s storage class', $metadata: { httpStatusCode: 403 }, StorageClass });

    it('asks S3 for a 7-day Standard restore and says when to come back (mocked S3: s3rver has no storage classes)', async () => {
      const { s3, storage } = mocked();
      s3.on(GetObjectCommand).rejects(archived('GLACIER'));
      s3.on(RestoreObjectCommand).resolves({});
      const error = await rejection(storage.get('db/2025/01/x/db.dump.age'));
      // A CopyUnusableError, so a restore moves on to the next destination's copy.
      expect(error).toBeInstanceOf(CopyUnusableError);
      expect(error).toBeInstanceOf(ArchivedCopyError);
      expect(error.name).toBe('ArchivedCopyError');
      expect(error.message).toBe(
        's3://backups/civicq/db/2025/01/x/db.dump.age is archived in GLACIER and cannot be read until S3 restores it; ' +
          'Lifeboat asked S3 to restore it (Standard tier, readable for 7 days), which S3 expects to take 3–5 hours: ' +
          'restore again once it has thawed, or from a destination with a warm copy',
      );
      expect(s3.commandCalls(RestoreObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: 'backups',
        Key: 'civicq/db/2025/01/x/db.dump.age',
        RestoreRequest: { Days: 7, GlacierJobParameters: { Tier: 'Standard' } },
      });
    });

    it('says a restore already asked for is in progress (mocked S3: s3rver has no storage classes)', async () => {
      const { s3, storage } = mocked();
      s3.on(GetObjectCommand).rejects(archived('DEEP_ARCHIVE'));
      s3.on(RestoreObjectCommand).rejects(serviceError('RestoreAlreadyInProgress', 409, 'Object restore is already in progress'));
      const error = await rejection(storage.get('db/x.dump.age', { start: 0, end: 9 }));
      expect(error).toBeInstanceOf(CopyUnusableError);
      expect(error.message).toBe(
        's3://backups/civicq/db/x.dump.age is archived in DEEP_ARCHIVE and cannot be read until S3 restores it; ' +
          'a restore is already in progress (S3 expects up to 12 hours from the request): restore again once it has thawed, or from a destination with a warm copy',
      );
    });

    it('says so when S3 refuses the restore request (mocked S3: s3rver has no storage classes)', async () => {
      const { s3, storage } = mocked();
      s3.on(GetObjectCommand).rejects(archived('GLACIER'));
      s3.on(RestoreObjectCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
      const error = await rejection(storage.get('db/x.dump.age'));
      expect(error).toBeInstanceOf(CopyUnusableError);
      expect(error.message).toBe(
        's3://backups/civicq/db/x.dump.age is archived in GLACIER and cannot be read until S3 restores it; ' +
          'asking S3 to restore it failed: access denied to the credentials from the AWS default chain (AccessDenied)',
      );
    });
  });

  describe('a failed multipart put aborts the upload before it rejects', () => {
    let s3: ReturnType<typeof mocked>['s3'];
    let storage: S3Storage;

    beforeEach(() => {
      ({ s3, storage } = mocked());
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
      s3.on(UploadPartCommand).resolves({ ETag: '"etag"' });
      s3.on(AbortMultipartUploadCommand).resolves({});
    });

    const abortedUploads = () => s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input);

    it('when the signal aborts (mocked S3: s3rver cannot abort multipart uploads)', async () => {
      const controller = new AbortController();
      const { body: hanging, stalled } = stallingBody(20 * MiB);
      const putting = storage.put('db/big.dump', hanging, { signal: controller.signal, expectedBytes: 100 * MiB });
      await stalled;
      expect(s3.commandCalls(UploadPartCommand)).toHaveLength(2);
      controller.abort();
      expect((await rejection(putting)).name).toBe('AbortError');
      expect(abortedUploads()).toEqual([{ Bucket: 'backups', Key: 'civicq/db/big.dump', UploadId: 'upload-1' }]);
      expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    });

    it('when the body fails, with the body error as it is (mocked S3: s3rver cannot abort multipart uploads)', async () => {
      const error = await rejection(storage.put('db/big.dump', failingBody(20 * MiB, new Error('pg_dump exited with code 1')), { expectedBytes: 100 * MiB }));
      expect(error.message).toBe('pg_dump exited with code 1');
      expect(abortedUploads()).toEqual([{ Bucket: 'backups', Key: 'civicq/db/big.dump', UploadId: 'upload-1' }]);
    });

    it('when a part fails, as a sentence (mocked S3: a part upload refused)', async () => {
      s3.on(UploadPartCommand).rejects(serviceError('InternalError', 500, 'We encountered an internal error. Please try again.'));
      const error = await rejection(storage.put('db/big.dump', Readable.from([Buffer.alloc(20 * MiB)]), { expectedBytes: 20 * MiB }));
      expect(error.message).toBe(
        'cannot write s3://backups/civicq/db/big.dump: We encountered an internal error. Please try again (InternalError)',
      );
      expect(abortedUploads()).toHaveLength(1);
    });

    it('and says so when even the abort fails (mocked S3: an abort refused)', async () => {
      s3.on(AbortMultipartUploadCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
      const error = await rejection(storage.put('db/big.dump', failingBody(20 * MiB, new Error('source crashed')), { expectedBytes: 100 * MiB }));
      expect(error).toBeInstanceOf(LifeboatError);
      expect(error.message).toBe(
        'cannot write s3://backups/civicq/db/big.dump: source crashed; aborting its multipart upload also failed ' +
          '(AccessDenied: access denied to the credentials from the AWS default chain), so its parts stay stored and billed ' +
          'until a lifecycle rule aborts incomplete uploads',
      );
    });
  });

  describe('delete', () => {
    const keys = Array.from({ length: 1001 }, (_, i) => `db/${i}`);

    it('sends 1,001 keys as two DeleteObjects calls (mocked S3: counting requests)', async () => {
      const { s3, storage } = mocked();
      s3.on(DeleteObjectsCommand).resolves({});
      await storage.delete(keys);
      const batches = s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects?.map((o) => o.Key));
      expect(batches.map((batch) => batch?.length)).toEqual([1000, 1]);
      expect(batches[0]?.[0]).toBe('civicq/db/0');
      expect(batches[1]).toEqual(['civicq/db/1000']);
      expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Quiet).toBe(true);
    });

    it('names the keys S3 would not delete, after trying every batch (mocked S3: s3rver has no permissions)', async () => {
      const { s3, storage } = mocked();
      s3.on(DeleteObjectsCommand)
        .resolvesOnce({ Errors: [{ Key: 'civicq/db/7', Code: 'AccessDenied', Message: 'Access Denied' }] })
        .resolvesOnce({ Errors: [{ Key: 'civicq/db/1000', Code: 'NoSuchKey' }, { Key: 'civicq/db/999', Code: 'InternalError' }] });
      const error = await rejection(storage.delete(keys));
      expect(error).toBeInstanceOf(LifeboatError);
      expect(error.message).toBe(
        'cannot delete 2 of 1001 objects from s3://backups/civicq: db/7 (AccessDenied: Access Denied), db/999 (InternalError)',
      );
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
    });

    it('checks every key before deleting any (mocked S3: counting requests)', async () => {
      const { s3, storage } = mocked();
      s3.on(DeleteObjectsCommand).resolves({});
      await expect(storage.delete(['db/ok', '../escape'])).rejects.toThrow('"../escape" is not a valid key for s3://backups/civicq');
      await storage.delete([]);
      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    });
  });

  it('lists page by page, relative to the prefix, skipping folder markers (mocked S3: s3rver cannot store folder markers)', async () => {
    const { s3, storage } = mocked();
    const object = (Key: string) => ({ Key, Size: Key.length, LastModified: new Date('2026-02-14T02:00:00Z') });
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ IsTruncated: true, NextContinuationToken: 'page-2', Contents: [object('civicq/db/a'), object('civicq/db/')] })
      .resolvesOnce({ IsTruncated: false, Contents: [object('civicq/db//b'), object('civicq/db/c')] });
    const listed = [];
    for await (const item of storage.list('db/')) listed.push(item);
    expect(listed).toEqual([
      { key: 'db/a', bytes: 11, modifiedAt: new Date('2026-02-14T02:00:00Z') },
      { key: 'db/c', bytes: 11, modifiedAt: new Date('2026-02-14T02:00:00Z') },
    ]);
    const inputs = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: 'backups', Prefix: 'civicq/db/', ContinuationToken: undefined },
      { Bucket: 'backups', Prefix: 'civicq/db/', ContinuationToken: 'page-2' },
    ]);
  });

  it('AccessDenied is one sentence naming s3://bucket/prefix, the key and the code (mocked S3: s3rver has no permissions)', async () => {
    const { s3, storage } = mocked();
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
    const error = await rejection(storage.put('db/2026/02/x.dump', body('x')));
    expect(error).toBeInstanceOf(LifeboatError);
    expect(error.message).toBe(
      'cannot write s3://backups/civicq/db/2026/02/x.dump: access denied to the credentials from the AWS default chain (AccessDenied)',
    );
    expect(JSON.stringify({ ...error, message: error.message, cause: error.cause })).not.toContain(SECRET);
  });
});

describe('S3Storage retries (mocked S3 over HTTP: s3rver never throttles)', () => {
  /** A stand-in for the network: answers each request in turn, so the SDK's own retry strategy runs. */
  function answering(...answers: Array<{ status: number; body?: string; headers?: Record<string, string> }>) {
    const requests: Array<{ method: string; path: string; headers: Record<string, string> }> = [];
    const requestHandler = {
      metadata: { handlerProtocol: 'http/1.1' },
      async handle(request: { method: string; path: string; headers: Record<string, string> }) {
        requests.push(request);
        const answer = answers[Math.min(requests.length, answers.length) - 1]!;
        return {
          response: {
            statusCode: answer.status,
            headers: answer.headers ?? {},
            body: Readable.from(answer.body === undefined ? [] : [Buffer.from(answer.body)]),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
      destroy() {},
    };
    return { requests, requestHandler };
  }
  const slowDown = {
    status: 503,
    body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  };
  const ok = { status: 200, headers: { etag: '"etag"' } };
  const storageWith = (requestHandler: unknown, maxAttempts?: number) =>
    new S3Storage({
      bucket: 'backups',
      prefix: 'civicq',
      region: 'us-west-2',
      maxAttempts,
      clientConfig: { credentials, requestHandler: requestHandler as never },
    });

  it('retries a throttled request (503 SlowDown) with backoff, then succeeds', async () => {
    const { requests, requestHandler } = answering(slowDown, slowDown, ok);
    const storage = storageWith(requestHandler);
    expect(await storage.put('db/x.dump', body('hello'))).toMatchObject({ key: 'db/x.dump', bytes: 5 });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill('PUT /civicq/db/x.dump'));
  });

  it('sends the artifact tag as the x-amz-tagging header', async () => {
    const { requests, requestHandler } = answering(ok);
    await storageWith(requestHandler).put('db/x.dump.age', body('x'), { kind: 'artifact' });
    expect(requests[0]?.headers).toMatchObject({ 'x-amz-tagging': 'lifeboat-kind=artifact' });
  });

  it("reads the storage class from S3's InvalidObjectState answer, then POSTs the restore request", async () => {
    const invalidObjectState = {
      status: 403,
      body:
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidObjectState</Code>' +
        "<Message>The operation is not valid for the object's storage class</Message><StorageClass>DEEP_ARCHIVE</StorageClass></Error>",
    };
    const { requests, requestHandler } = answering(invalidObjectState, { status: 202 });
    const error = await rejection(storageWith(requestHandler).get('db/x.dump.age'));
    expect(error).toBeInstanceOf(CopyUnusableError);
    expect(error.message).toMatch(/^s3:\/\/backups\/civicq\/db\/x.dump.age is archived in DEEP_ARCHIVE .* Lifeboat asked S3 to restore it .* up to 12 hours/);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /civicq/db/x.dump.age', 'POST /civicq/db/x.dump.age']);
  });

  it('sends the storage class and encryption as headers', async () => {
    const { requests, requestHandler } = answering(ok);
    const storage = new S3Storage({
      bucket: 'backups',
      region: 'us-west-2',
      storageClass: 'GLACIER_IR',
      sse: 'AES256',
      clientConfig: { credentials, requestHandler: requestHandler as never },
    });
    await storage.put('x', body('x'));
    expect(requests[0]?.headers).toMatchObject({ 'x-amz-storage-class': 'GLACIER_IR', 'x-amz-server-side-encryption': 'AES256' });
  });

  it('gives up after maxAttempts with a sentence that says so', async () => {
    const { requests, requestHandler } = answering(slowDown);
    const storage = storageWith(requestHandler, 2);
    const error = await rejection(storage.put('db/x.dump', body('hello')));
    expect(error.message).toBe('cannot write s3://backups/civicq/db/x.dump: S3 is throttling requests, still after 2 attempts (SlowDown)');
    expect(requests).toHaveLength(2);
    expect(error.message).not.toContain(SECRET);
  });

  describe('conditional writes for the repository lock (mocked: s3rver ignores If-None-Match and If-Match on PUT)', () => {
    it('creates with If-None-Match: *, in STANDARD whatever the destination class, keeping its encryption', async () => {
      const { s3, storage } = mocked({ storageClass: 'STANDARD_IA', sse: 'AES256' });
      s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
      expect(await storage.putIf('locks/database.json', Buffer.from('{}'), { ifAbsent: true })).toBe('"e1"');
      const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
      expect(input).toMatchObject({ Bucket: 'backups', Key: 'civicq/locks/database.json', IfNoneMatch: '*', ServerSideEncryption: 'AES256' });
      expect(input.StorageClass).toBeUndefined();
      expect(input.IfMatch).toBeUndefined();
    });

    it('replaces with If-Match on the version read', async () => {
      const { s3, storage } = mocked();
      s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });
      expect(await storage.putIf('locks/database.json', Buffer.from('{}'), { ifVersion: '"e1"' })).toBe('"e2"');
      expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ IfMatch: '"e1"' });
    });

    it.each([
      ['PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'],
      ['ConditionalRequestConflict', 409, 'A conflicting conditional operation is currently in progress against this resource.'],
      ['NoSuchKey', 404, 'The specified key does not exist.'],
    ])('resolves undefined when S3 answers %s (%i): the condition did not hold, nothing was written', async (name, status, message) => {
      const { s3, storage } = mocked();
      s3.on(PutObjectCommand).rejects(serviceError(name, status, message));
      expect(await storage.putIf('locks/database.json', Buffer.from('{}'), { ifAbsent: true })).toBeUndefined();
    });

    it('turns other failures into a sentence', async () => {
      const { s3, storage } = mocked();
      s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
      await expect(storage.putIf('locks/database.json', Buffer.from('{}'), { ifAbsent: true })).rejects.toThrow(
        'cannot write s3://backups/civicq/locks/database.json: access denied to the credentials from the AWS default chain (AccessDenied)',
      );
    });

    it('reads an object with its ETag, and undefined when it is missing', async () => {
      const { s3, storage } = mocked();
      s3.on(GetObjectCommand, { Key: 'civicq/locks/a.json' }).resolves({ ETag: '"e3"', Body: sdkBody('{"n":1}') } as never);
      s3.on(GetObjectCommand, { Key: 'civicq/locks/b.json' }).rejects(serviceError('NoSuchKey', 404, 'The specified key does not exist.'));
      expect(await storage.getVersioned('locks/a.json')).toEqual({ bytes: Buffer.from('{"n":1}'), version: '"e3"' });
      expect(await storage.getVersioned('locks/b.json')).toBeUndefined();
    });
  });
});

function serviceError(name: string, httpStatusCode: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
}

/** A GetObject body as the SDK hands it out: a stream with transformToByteArray. */
function sdkBody(text: string) {
  const stream = Readable.from([Buffer.from(text)]);
  return Object.assign(stream, { transformToByteArray: async () => new Uint8Array(Buffer.from(text)) });
}
