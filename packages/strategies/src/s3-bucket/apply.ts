import { setMaxListeners } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { MediaS3 } from './client.js';
import type { MediaAction } from './actions.js';

/** Largest source CopyObject takes; bigger versions are copied with UploadPartCopy. */
export const MAX_SINGLE_COPY = 5 * 1024 ** 3;
/** Part size of a multipart copy (S3 allows 5 MiB – 5 GiB per part, 10,000 parts). */
export const COPY_PART_SIZE = 512 * 1024 ** 2;

/**
 * The keys already done by an earlier, interrupted run of the same restore
 * (JSON lines, one per action done and verified), so that running it again
 * does not redo them. Removed when the restore completes.
 */
export class RestoreJournal {
  private out: WriteStream | undefined;
  private constructor(
    readonly path: string,
    private readonly done: Set<string>,
  ) {}

  static async open(path: string): Promise<RestoreJournal> {
    const done = new Set<string>();
    try {
      for await (const line of createInterface({ input: createReadStream(path) })) {
        if (line.trim() === '') continue;
        try {
          done.add(String((JSON.parse(line) as { id: string }).id));
        } catch {
          // A line cut short by the interruption: that action is redone.
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(dirname(path), { recursive: true });
    return new RestoreJournal(path, done);
  }

  get resumed(): number {
    return this.done.size;
  }

  has(action: MediaAction): boolean {
    return this.done.has(actionId(action));
  }

  record(action: MediaAction): Promise<void> {
    this.out ??= createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    const line = JSON.stringify({ id: actionId(action) }) + '\n';
    return new Promise((resolve, reject) => this.out!.write(line, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const out = this.out;
    this.out = undefined;
    if (out) await new Promise<void>((resolve) => out.end(resolve));
  }

  /** The restore completed: nothing to resume. */
  async remove(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
  }
}

function actionId(a: MediaAction): string {
  return `${a.action}\u0000${a.key}\u0000${'versionId' in a ? a.versionId : ''}`;
}

export interface ApplyResult {
  done: number;
  bytes: number;
  /** Already done by an earlier run (the journal). */
  skipped: number;
  /** Copies over 5 GB made with UploadPartCopy. */
  multipart: number;
}

export interface ApplyOptions {
  sourceBucket: string;
  targetBucket: string;
  jobs: number;
  journal: RestoreJournal;
  signal: AbortSignal;
  /** After each action done. */
  onDone?(action: MediaAction, result: ApplyResult): void;
}

/**
 * Applies a plan with at most `jobs` requests in flight (the SDK backs off on
 * SlowDown), verifying each copy's size and ETag as S3 reports the new
 * version, and journaling each done action. Archived versions are not
 * touched (the report names their thaw command).
 */
export async function applyActions(s3: MediaS3, actions: AsyncIterable<MediaAction>, opts: ApplyOptions): Promise<ApplyResult> {
  const result: ApplyResult = { done: 0, bytes: 0, skipped: 0, multipart: 0 };
  // Every request in flight listens to the signal (and the listing's next page): more than Node's default 10.
  setMaxListeners(Math.max(10, opts.jobs * 2 + 4), opts.signal);
  const iterator = actions[Symbol.asyncIterator]();
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined) {
      opts.signal.throwIfAborted();
      const next = await iterator.next();
      if (next.done) return;
      const action = next.value;
      if (action.action === 'archived') continue;
      if (opts.journal.has(action)) {
        result.skipped++;
        continue;
      }
      await applyOne(s3, action, opts, result);
      await opts.journal.record(action);
      result.done++;
      opts.onDone?.(action, result);
    }
  };
  const workers = Array.from({ length: Math.max(1, opts.jobs) }, () =>
    worker().catch((err: unknown) => {
      failed ??= err;
    }),
  );
  await Promise.all(workers);
  await opts.journal.close();
  if (failed !== undefined) throw failed;
  return result;
}

async function applyOne(s3: MediaS3, action: Exclude<MediaAction, { action: 'archived' }>, opts: ApplyOptions, result: ApplyResult): Promise<void> {
  const { sdk, client } = s3;
  const abortSignal = opts.signal;
  if (action.action === 'delete') {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: opts.targetBucket, Key: action.toKey }), { abortSignal });
    return;
  }
  if (action.action === 'undelete') {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: opts.sourceBucket, Key: action.key, VersionId: action.versionId }), { abortSignal });
    return;
  }
  const source = `${opts.sourceBucket}/${encodeURIComponent(action.key).replace(/%2F/g, '/')}?versionId=${encodeURIComponent(action.versionId)}`;
  let versionId: string | undefined;
  let parts = 0;
  if (action.size > MAX_SINGLE_COPY) {
    ({ versionId, parts } = await multipartCopy(s3, source, opts.targetBucket, action.toKey, action.size, abortSignal));
    result.multipart++;
  } else {
    const copied = await client.send(new sdk.CopyObjectCommand({ Bucket: opts.targetBucket, Key: action.toKey, CopySource: source }), { abortSignal });
    versionId = copied.VersionId;
  }
  const head = await client.send(new sdk.HeadObjectCommand({ Bucket: opts.targetBucket, Key: action.toKey, ...(versionId ? { VersionId: versionId } : {}) }), { abortSignal });
  const etagOk = parts > 0 ? head.ETag?.endsWith(`-${parts}"`) === true : head.ETag === action.etag;
  if (head.ContentLength !== action.size || !etagOk) {
    throw new Error(
      `the copy of ${action.key} (version ${action.versionId}) to s3://${opts.targetBucket}/${action.toKey} does not match: ${head.ContentLength} bytes, ETag ${head.ETag}; expected ${action.size} bytes, ETag ${parts > 0 ? `of ${parts} parts` : action.etag}`,
    );
  }
  result.bytes += action.size;
}

async function multipartCopy(s3: MediaS3, source: string, bucket: string, key: string, size: number, abortSignal: AbortSignal): Promise<{ versionId: string | undefined; parts: number }> {
  const { sdk, client } = s3;
  const { UploadId } = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal });
  try {
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let first = 0, n = 1; first < size; first += COPY_PART_SIZE, n++) {
      const last = Math.min(first + COPY_PART_SIZE, size) - 1;
      const part = await client.send(new sdk.UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${first}-${last}` }), { abortSignal });
      parts.push({ PartNumber: n, ETag: part.CopyPartResult?.ETag ?? '' });
    }
    const done = await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }), { abortSignal });
    return { versionId: done.VersionId, parts: parts.length };
  } catch (err) {
    await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw err;
  }
}
