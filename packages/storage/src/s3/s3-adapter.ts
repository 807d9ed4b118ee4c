import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type DeleteObjectsCommandOutput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  LifeboatError,
  NotFoundError,
  describeError,
  formatBytes,
  type ByteRange,
  type PutOptions,
  type StorageAdapter,
  type StoredObject,
  type VersionedObject,
  type WriteCondition,
} from '@lifeboat/core';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../key.js';
import { isValidKey } from './prefix.js';
import { s3Destination, type S3ServerSideEncryption, type S3StorageClass } from './s3-options.js';
import { MAX_OBJECT_BYTES, MAX_PARTS, partSizeFor, queueSizeFor } from './part-size.js';
import { httpStatus, s3ErrorCode, s3Explanation, s3Failure, s3Reason } from './s3-error.js';
import { ARTIFACT_TAGGING } from './artifact-tag.js';
import { isArchivedError, thawArchived } from './archived-object.js';
import { createS3Client, type S3Connection } from './s3-client.js';

export { S3_SERVER_SIDE_ENCRYPTION, S3_STORAGE_CLASSES, type S3ServerSideEncryption, type S3StorageClass } from './s3-options.js';

export interface S3StorageOptions extends S3Connection {
  bucket: string;
  /** Folder inside the bucket holding the repository, e.g. `civicq/prod`. */
  prefix?: string;
  storageClass?: S3StorageClass;
  sse?: S3ServerSideEncryption;
  /** KMS key (id, ARN or alias) for `sse: aws:kms`; required with it, refused without. */
  kmsKeyId?: string;
  /** A ready client (tests); `region`, `endpoint`… and `clientConfig` are then ignored. */
  client?: S3Client;
}

/** DeleteObjects takes at most 1,000 keys. */
const DELETE_BATCH = 1000;
/** Per-key delete failures named in the message; the rest are counted. */
const NAMED_FAILURES = 5;

/**
 * A destination in an S3 bucket (or an S3-compatible store): key `a/b` is the
 * object `<prefix>/a/b`. Credentials come only from the AWS default chain
 * (environment, profile, SSO, container or instance role), never from the plan.
 */
export class S3Storage implements StorageAdapter {
  readonly bucket: string;
  /** Without leading or trailing `/`; empty for the bucket's root. */
  readonly prefix: string;
  readonly description: string;
  readonly #client: S3Client;
  readonly #objectParams: { StorageClass?: S3StorageClass; ServerSideEncryption?: S3ServerSideEncryption; SSEKMSKeyId?: string };
  #bucketSeen = false;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    ({ prefix: this.prefix, description: this.description } = s3Destination(options));
    this.#objectParams = {
      ...(options.storageClass !== undefined && { StorageClass: options.storageClass }),
      ...(options.sse !== undefined && { ServerSideEncryption: options.sse }),
      ...(options.kmsKeyId !== undefined && { SSEKMSKeyId: options.kmsKeyId }),
    };
    this.#client = options.client ?? createS3Client(options);
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    const target = this.#url(key);
    if (opts.expectedBytes !== undefined && opts.expectedBytes > MAX_OBJECT_BYTES) {
      body.destroy();
      throw new LifeboatError(`cannot write ${target}: ${formatBytes(opts.expectedBytes)} is more than the 5 TiB S3 allows in one object`);
    }
    const partSize = partSizeFor(opts.expectedBytes);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.bucket,
        Key: this.#objectKey(key),
        Body: counter,
        ...this.#objectParams,
        // Sent with the PutObject or CreateMultipartUpload itself, so no object is ever untagged.
        ...(opts.kind === 'artifact' && { Tagging: ARTIFACT_TAGGING }),
      },
      partSize,
      queueSize: queueSizeFor(partSize),
      // We abort the multipart upload ourselves, once every part in flight has
      // settled, so that put rejects only when no part is left behind.
      leavePartsOnError: true,
    });

    // The first failure is the cause; the other side then fails only because of it.
    let failure: { from: 'body' | 'upload'; error: unknown } | undefined;
    body.once('error', (error) => (failure ??= { from: 'body', error }));
    const uploading = upload.done().catch((error: unknown) => {
      failure ??= { from: 'upload', error };
      counter.destroy(); // unblocks the body, which would otherwise wait for a reader forever
    });
    // An abort destroys the body and the counter; lib-storage then stops reading and settles.
    const feeding = pipeline(body, counter, { signal: opts.signal }).catch((error: unknown) => {
      failure ??= { from: 'body', error };
    });
    await Promise.all([uploading, feeding]);
    if (failure === undefined) return { key, bytes, modifiedAt: new Date() };

    const { from, error } = failure;
    const reason = from === 'body' ? describeError(error) : uploadReason(partSize, error);
    const leftOver = await this.#abortMultipart(upload.uploadId, key);
    if (leftOver !== undefined) {
      throw new LifeboatError(
        `cannot write ${target}: ${reason}; aborting its multipart upload also failed (${leftOver}), ` +
          'so its parts stay stored and billed until a lifecycle rule aborts incomplete uploads',
        undefined,
        { cause: from === 'body' ? error : undefined },
      );
    }
    // Body errors and aborts reject as they are; only S3's failures become sentences.
    throw from === 'body' ? error : new LifeboatError(`cannot write ${target}: ${reason}`);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const target = this.#url(key);
    const header = range === undefined ? undefined : rangeHeader(range, target);
    try {
      const { Body } = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key), Range: header }));
      if (!(Body instanceof Readable)) throw new LifeboatError(`cannot read ${target}: S3 sent no readable body`);
      return Body;
    } catch (err) {
      if (s3ErrorCode(err) === 'NoSuchKey') throw new NotFoundError(key, this.description);
      if (isArchivedError(err)) throw await thawArchived(this.#client, { bucket: this.bucket, key: this.#objectKey(key), url: target }, err);
      throw s3Failure('read', target, err);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const target = this.#url(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
      return { key, bytes: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (httpStatus(err) !== 404) throw s3Failure('read', target, err);
      // HEAD says only "404": a missing bucket must not pass for a missing object.
      await this.#assertBucketExists(target);
      return undefined;
    }
  }

  async *list(prefix: string): AsyncGenerator<StoredObject> {
    assertValidPrefix(prefix, this.description);
    const root = this.#objectKey('');
    const target = `${this.description}/${prefix}`.replace(/\/$/, '');
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw s3Failure('list', target, err);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(root.length);
        // Folder markers (`a/b/`) and other objects we could not have written are not objects of ours.
        if (key === undefined || !object.Key?.startsWith(root) || !isValidKey(key)) continue;
        yield { key, bytes: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.#url(key); // every key is valid before anything goes
    const unique = [...new Set(keys)];
    const failed: string[] = [];
    for (let start = 0; start < unique.length; start += DELETE_BATCH) {
      const batch = unique.slice(start, start + DELETE_BATCH);
      let errors: NonNullable<DeleteObjectsCommandOutput['Errors']>;
      try {
        const out = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.#objectKey(key) })), Quiet: true },
          }),
        );
        errors = out.Errors ?? [];
      } catch (err) {
        const what = batch.length === 1 ? `${this.description}/${batch[0]}` : `${batch.length} objects from ${this.description}`;
        throw s3Failure('delete', what, err);
      }
      for (const error of errors) {
        if (error.Code === 'NoSuchKey') continue; // deleting a missing key is fine
        const key = error.Key?.slice(this.#objectKey('').length) ?? '(no key)';
        const message = error.Message === undefined ? '' : `: ${error.Message.replace(/\.$/, '')}`;
        failed.push(`${key} (${error.Code ?? 'error'}${message})`);
      }
    }
    if (failed.length === 0) return;
    const named = failed.slice(0, NAMED_FAILURES).join(', ');
    const more = failed.length > NAMED_FAILURES ? ` and ${failed.length - NAMED_FAILURES} more` : '';
    throw new LifeboatError(`cannot delete ${failed.length} of ${unique.length} objects from ${this.description}: ${named}${more}`);
  }

  /**
   * A conditional PutObject: `If-None-Match: *` or `If-Match: <etag>`, which
   * AWS S3 (and MinIO, R2, recent Ceph) evaluate atomically. The object stays
   * in STANDARD whatever the destination's class: it is small and rewritten.
   */
  async putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined> {
    const target = this.#url(key);
    const { StorageClass: _class, ...encryption } = this.#objectParams;
    try {
      const out = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.#objectKey(key),
          Body: bytes,
          ContentType: 'application/json',
          ...encryption,
          ...('ifAbsent' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifVersion }),
        }),
      );
      if (out.ETag === undefined) throw new LifeboatError(`cannot write ${target}: S3 returned no ETag`);
      return out.ETag;
    } catch (err) {
      const code = s3ErrorCode(err);
      const status = httpStatus(err);
      // 412: the condition failed; 409: another conditional write to the key was in flight; 404: gone since it was read.
      if (status === 412 || status === 409 || code === 'PreconditionFailed' || code === 'ConditionalRequestConflict' || code === 'NoSuchKey') return undefined;
      throw s3Failure('write', target, err);
    }
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const target = this.#url(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
      if (out.Body === undefined || out.ETag === undefined) throw new LifeboatError(`cannot read ${target}: S3 sent no body or no ETag`);
      return { bytes: Buffer.from(await out.Body.transformToByteArray()), version: out.ETag };
    } catch (err) {
      if (s3ErrorCode(err) === 'NoSuchKey') return undefined;
      throw s3Failure('read', target, err);
    }
  }

  /** `s3://bucket/prefix/key`, after checking the key. */
  #url(key: string): string {
    assertValidKey(key, this.description);
    return `${this.description}/${key}`;
  }

  #objectKey(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  /** Aborts a multipart upload left by a failed put; returns why that failed, if it did. */
  async #abortMultipart(uploadId: string | undefined, key: string): Promise<string | undefined> {
    if (uploadId === undefined) return undefined;
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.#objectKey(key), UploadId: uploadId }));
      return undefined;
    } catch (err) {
      const code = s3ErrorCode(err);
      if (code === 'NoSuchUpload') return undefined; // already gone
      return code === undefined ? s3Reason(err) : `${code}: ${s3Reason(err)}`;
    }
  }

  async #assertBucketExists(target: string): Promise<void> {
    if (this.#bucketSeen) return;
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      this.#bucketSeen = true;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) throw new LifeboatError(`cannot read ${target}: the bucket does not exist (NoSuchBucket)`);
      // Allowed to read objects but not to look at the bucket: the object is simply missing.
      if (status !== 403) throw s3Failure('read', target, err);
    }
  }
}

/** Why an upload failed, with the S3 error code. */
function uploadReason(partSize: number, err: unknown): string {
  // lib-storage's own words for running out of parts name neither the cause nor the fix.
  if (err instanceof Error && /Exceeded \d+ parts/.test(err.message)) {
    return (
      `the stream grew past ${formatBytes(partSize * MAX_PARTS)}, the most ${MAX_PARTS} parts of ${formatBytes(partSize)} ` +
      'hold; give put its expected size (expectedBytes) so that parts can be larger'
    );
  }
  return s3Explanation(err);
}




/** The HTTP Range header for an inclusive byte range. */
function rangeHeader(range: ByteRange, target: string): string {
  assertValidRange(range, target);
  return `bytes=${range.start}-${range.end ?? ''}`;
}
