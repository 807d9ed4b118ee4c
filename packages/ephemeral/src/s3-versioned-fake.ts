import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compareUtf8 } from '@lifeboat/core';

/**
 * A FAKE of S3's versioning, for tests, benchmarks and the demo only (it keeps
 * everything in memory): an HTTP server on
 * loopback that speaks the S3 REST/XML wire protocol (path style) for what
 * s3rver cannot — versioning, delete markers, ListObjectVersions paging,
 * GET/COPY by versionId, UploadPartCopy, replication status, archive storage
 * classes, throttling. Driven by the real `@aws-sdk/client-s3` through
 * `endpoint` + `forcePathStyle`. Signatures are not checked. Its behaviour is
 * pinned to AWS's documented semantics in `s3-versioned-fake.test.ts`; where
 * it is simpler than AWS (LastModified has millisecond precision and is
 * strictly increasing; no ACLs, tagging, SSE) the test says so.
 */

export type FakeStorageClass = 'STANDARD' | 'STANDARD_IA' | 'GLACIER' | 'DEEP_ARCHIVE' | 'GLACIER_IR' | 'INTELLIGENT_TIERING';
export type FakeReplicationStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'REPLICA';

export interface FakeVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  /** Absent for a simulated object (`seed` with `size` and no body): its bytes are not kept. */
  body?: Buffer;
  size: number;
  etag: string;
  lastModified: Date;
  storageClass: FakeStorageClass;
  contentType?: string;
  replicationStatus?: FakeReplicationStatus;
}

interface FakeBucket {
  name: string;
  versioning?: 'Enabled' | 'Suspended';
  /** Newest first, per key. */
  objects: Map<string, FakeVersion[]>;
  /** Keys in UTF-8 binary order, rebuilt when a key is added. */
  sorted?: string[];
  configs: Map<string, string>;
  uploads: Map<string, { key: string; parts: Map<number, { size: number; etag: string; body?: Buffer }> }>;
}

export interface SeedVersion {
  /** A delete marker instead of an object. */
  deleteMarker?: boolean;
  body?: Buffer | string;
  /** A simulated object of this size (no bytes kept; GET refuses it). */
  size?: number;
  storageClass?: FakeStorageClass;
  lastModified?: Date;
  replicationStatus?: FakeReplicationStatus;
}

export interface S3VersionedFake {
  /** `http://127.0.0.1:PORT` for the SDK's `endpoint` (with `forcePathStyle: true`). */
  endpoint: string;
  /** Region and credentials the SDK needs to sign (not checked). */
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Makes a bucket directly (as CreateBucket does), optionally with versioning on. */
  createBucket(name: string, opts?: { versioning?: 'Enabled' | 'Suspended' }): void;
  /** Adds a version (or delete marker) directly, without HTTP: for building big histories fast. Returns its versionId. */
  seed(bucket: string, key: string, version?: SeedVersion): string;
  /** Every version of a bucket, keys in order, newest first (a copy). */
  versions(bucket: string): FakeVersion[];
  /** Sets a version's storage class (a lifecycle transition to GLACIER, a restore back…). */
  setStorageClass(bucket: string, key: string, versionId: string, storageClass: FakeStorageClass): void;
  setReplicationStatus(bucket: string, key: string, versionId: string, status: FakeReplicationStatus): void;
  /** The next `count` requests (optionally only of `operation`, e.g. `CopyObject`) answer 503 SlowDown. */
  throttle(count: number, operation?: string): void;
  /**
   * After `after` more requests of `operation` succeed, the next `count` fail
   * with `status`/`code` (default 403 AccessDenied, which the SDK does not
   * retry): an interruption in the middle of a run.
   */
  failAfter(operation: string, after: number, count?: number, error?: { status: number; code: string }): void;
  /**
   * Fault injection: the next CopyObject whose destination key matches (a
   * substring, or a RegExp) stores other bytes of the same size, and so another
   * ETag, than its source — a copy gone wrong,
   * which a restore that verifies its copies must catch. Once per call.
   */
  corruptNextCopy(keyPattern: string | RegExp): void;
  /** The next `count` ListObjectVersions pages are empty but truncated (AWS may return fewer keys than asked). */
  emptyPages(count: number): void;
  /** Requests served, by operation name (for tests that count round trips). */
  requests: Map<string, number>;
  /** Versions with a simulated size above this are "big": copying them needs UploadPartCopy. Default 5 GiB, as AWS. */
  copyLimit: number;
  stop(): Promise<void>;
}

export const FAKE_REGION = 'us-east-1';
const MAX_COPY = 5 * 1024 ** 3;
const OWNER = '<Owner><ID>fake-owner</ID><DisplayName>fake</DisplayName></Owner>';
const ARCHIVED: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) => (/[&<>"]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : s);
const xmlUnescape = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi, (_, name: string, dec?: string, hex?: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name]!,
  );
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** S3's ordering of keys: by their UTF-8 bytes. */
const compareKeys = compareUtf8;

/**
 * A version's ListObjectVersions entry around its IsLatest value, as UTF-8
 * made once: a listing of a million versions must cost the fake less than it
 * costs the client, or the benchmark measures the fake (joining and encoding
 * the page's text again for every request was most of the fake's time).
 * Dropped when the version changes.
 */
const entryXml = new WeakMap<FakeVersion, readonly [Buffer, Buffer]>();
const LATEST = { true: Buffer.from('true'), false: Buffer.from('false') };
function entryOf(v: FakeVersion): readonly [Buffer, Buffer] {
  let parts = entryXml.get(v);
  if (!parts) {
    const head = `<Key>${xmlEscape(v.key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>`;
    const [open, close] = v.deleteMarker
      ? [`<DeleteMarker>${head}`, `</IsLatest><LastModified>${v.lastModified.toISOString()}</LastModified>${OWNER}</DeleteMarker>`]
      : [`<Version>${head}`, `</IsLatest><LastModified>${v.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(v.etag)}</ETag><Size>${v.size}</Size><StorageClass>${v.storageClass}</StorageClass>${OWNER}</Version>`];
    parts = [Buffer.from(open), Buffer.from(close)];
    entryXml.set(v, parts);
  }
  return parts;
}

/** Starts the fake on 127.0.0.1 (a free port). */
export async function startS3VersionedFake(): Promise<S3VersionedFake> {
  const buckets = new Map<string, FakeBucket>();
  const requests = new Map<string, number>();
  let throttles: { count: number; operation?: string } = { count: 0 };
  let empties = 0;
  const corruptions: Array<string | RegExp> = [];
  let failing: { operation: string; after: number; count: number; status: number; code: string } | undefined;
  let lastStamp = 0;
  let counter = 0;

  /** Strictly increasing times, so that "newest" is never ambiguous in tests. */
  const now = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp);
  };
  const newVersionId = () => `${(++counter).toString(36).padStart(8, '0')}${randomBytes(8).toString('hex')}`;

  const bucketOf = (name: string): FakeBucket => {
    const b = buckets.get(name);
    if (!b) throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return b;
  };

  const createBucket = (name: string, opts: { versioning?: 'Enabled' | 'Suspended' } = {}) => {
    if (buckets.has(name)) throw new S3Failure(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
    buckets.set(name, { name, ...(opts.versioning ? { versioning: opts.versioning } : {}), objects: new Map(), configs: new Map(), uploads: new Map() });
  };

  /** Adds a version as the newest of its key, with S3's rules for unversioned and suspended buckets (the `null` version is replaced). */
  const addVersion = (b: FakeBucket, v: Omit<FakeVersion, 'versionId'>): FakeVersion => {
    const versionId = b.versioning === 'Enabled' ? newVersionId() : 'null';
    const version: FakeVersion = { ...v, versionId };
    if (b.configs.has('BucketReplication') && !version.deleteMarker && version.replicationStatus === undefined) version.replicationStatus = 'PENDING';
    let list = b.objects.get(v.key);
    if (!list) {
      list = [];
      b.objects.set(v.key, list);
      b.sorted = undefined;
    }
    if (versionId === 'null') {
      const i = list.findIndex((x) => x.versionId === 'null');
      if (i >= 0) list.splice(i, 1);
    }
    list.unshift(version);
    return version;
  };

  const findVersion = (b: FakeBucket, key: string, versionId: string | null): FakeVersion => {
    const list = b.objects.get(key) ?? [];
    if (versionId === null) {
      const latest = list[0];
      if (!latest) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');
      if (latest.deleteMarker) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.', { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
      return latest;
    }
    const v = list.find((x) => x.versionId === versionId);
    if (!v) throw new S3Failure(404, 'NoSuchVersion', 'The specified version does not exist.');
    return v;
  };

  const sortedKeys = (b: FakeBucket) => (b.sorted ??= [...b.objects.keys()].sort(compareKeys));

  const fake: S3VersionedFake = {
    endpoint: '',
    region: FAKE_REGION,
    credentials: { accessKeyId: 'FAKEACCESSKEY', secretAccessKey: 'fake-secret-not-checked' },
    requests,
    copyLimit: MAX_COPY,
    createBucket,
    seed(bucket, key, version = {}) {
      const b = bucketOf(bucket);
      const body = typeof version.body === 'string' ? Buffer.from(version.body) : version.body;
      const size = body ? body.length : (version.size ?? 0);
      const lastModified = version.lastModified ?? now();
      const v = addVersion(b, {
        key,
        deleteMarker: version.deleteMarker === true,
        ...(body ? { body } : version.size === undefined ? { body: Buffer.alloc(0) } : {}),
        size: version.deleteMarker ? 0 : size,
        etag: body ? `"${md5(body)}"` : `"${md5(Buffer.from(`${key}:${size}:${counter}`))}"`,
        lastModified,
        storageClass: version.storageClass ?? 'STANDARD',
        ...(version.replicationStatus ? { replicationStatus: version.replicationStatus } : {}),
      });
      if (version.lastModified) {
        // A seeded history may come out of order: keep each key newest first.
        b.objects.get(key)!.sort((x, y) => y.lastModified.getTime() - x.lastModified.getTime());
      }
      return v.versionId;
    },
    versions(bucket) {
      const b = bucketOf(bucket);
      return sortedKeys(b).flatMap((k) => b.objects.get(k)!.map((v) => ({ ...v })));
    },
    setStorageClass(bucket, key, versionId, storageClass) {
      const v = findVersion(bucketOf(bucket), key, versionId);
      v.storageClass = storageClass;
      entryXml.delete(v);
    },
    setReplicationStatus(bucket, key, versionId, status) {
      findVersion(bucketOf(bucket), key, versionId).replicationStatus = status;
    },
    throttle(count, operation) {
      throttles = { count, ...(operation ? { operation } : {}) };
    },
    failAfter(operation, after, count = Infinity, error = { status: 403, code: 'AccessDenied' }) {
      failing = { operation, after, count, ...error };
    },
    emptyPages(count) {
      empties = count;
    },
    corruptNextCopy(keyPattern) {
      corruptions.push(keyPattern);
    },
    stop: async () => {},
  };

  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    return /aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) || req.headers['x-amz-decoded-content-length'] !== undefined ? decodeAwsChunked(raw) : raw;
  };

  /** Which S3 operation a request is, by method, path and query (as AWS routes them). */
  const operationOf = (method: string, key: string | undefined, q: URLSearchParams, headers: IncomingMessage['headers']): string => {
    const has = (name: string) => q.has(name);
    if (key === undefined) {
      if (has('versioning')) return method === 'PUT' ? 'PutBucketVersioning' : 'GetBucketVersioning';
      for (const [param, name] of [
        ['lifecycle', 'BucketLifecycleConfiguration'],
        ['replication', 'BucketReplication'],
        ['publicAccessBlock', 'PublicAccessBlock'],
        ['object-lock', 'ObjectLockConfiguration'],
        ['encryption', 'BucketEncryption'],
        ['policy', 'BucketPolicy'],
      ] as const) {
        if (has(param)) return `${method === 'PUT' ? 'Put' : method === 'DELETE' ? 'Delete' : 'Get'}${name}`;
      }
      if (has('versions')) return 'ListObjectVersions';
      if (has('location')) return 'GetBucketLocation';
      if (method === 'POST' && has('delete')) return 'DeleteObjects';
      if (method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
      if (method === 'PUT') return 'CreateBucket';
      if (method === 'HEAD') return 'HeadBucket';
      if (method === 'DELETE') return 'DeleteBucket';
      return 'ListObjects';
    }
    if (method === 'POST' && has('uploads')) return 'CreateMultipartUpload';
    if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload';
    if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
    if (method === 'PUT' && has('partNumber')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
    if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'DELETE') return 'DeleteObject';
    return 'Unknown';
  };

  const versionHeaders = (v: FakeVersion): Record<string, string> => ({
    'x-amz-version-id': v.versionId,
    etag: v.etag,
    'last-modified': v.lastModified.toUTCString(),
    'content-length': String(v.size),
    'content-type': v.contentType ?? 'binary/octet-stream',
    ...(v.storageClass !== 'STANDARD' ? { 'x-amz-storage-class': v.storageClass } : {}),
    ...(v.replicationStatus ? { 'x-amz-replication-status': v.replicationStatus } : {}),
  });

  /** The source of a copy: `/bucket/key?versionId=…` (URL-encoded), as `x-amz-copy-source` names it. */
  const copySource = (header: string): FakeVersion => {
    const [path, query] = header.split('?', 2) as [string, string | undefined];
    const decoded = decodeURIComponent(path.replace(/^\//, ''));
    const slash = decoded.indexOf('/');
    if (slash < 0) throw new S3Failure(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
    const versionId = new URLSearchParams(query ?? '').get('versionId');
    const source = findVersion(bucketOf(decoded.slice(0, slash)), decoded.slice(slash + 1), versionId);
    if (source.deleteMarker) throw new S3Failure(400, 'InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
    if (ARCHIVED.has(source.storageClass)) throw new S3Failure(403, 'InvalidObjectState', 'The operation is not valid for the object\u2019s storage class');
    return source;
  };

  const listVersions = (b: FakeBucket, q: URLSearchParams): Buffer => {
    const prefix = q.get('prefix') ?? '';
    const keyMarker = q.get('key-marker') ?? '';
    const versionIdMarker = q.get('version-id-marker') ?? '';
    const maxKeys = Math.min(Math.max(Number(q.get('max-keys') ?? 1000) || 1000, 0), 1000);
    const keys = sortedKeys(b);
    const entries: Buffer[] = [];
    let truncated = false;
    let next: { key: string; versionId: string } | undefined;
    if (empties > 0) {
      empties--;
      truncated = true;
      next = { key: keyMarker, versionId: versionIdMarker };
    } else {
      // First key at or after the marker: binary search over the sorted keys.
      const from = compareKeys(keyMarker, prefix) > 0 ? keyMarker : prefix;
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareKeys(keys[mid]!, from) < 0) lo = mid + 1;
        else hi = mid;
      }
      let count = 0;
      outer: for (let i = lo; i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break; // sorted: past the prefix's keys
        let list = b.objects.get(key)!;
        const newest = list[0];
        if (key === keyMarker) {
          if (!versionIdMarker) continue; // key-marker alone: start after every version of that key
          const at = list.findIndex((v) => v.versionId === versionIdMarker);
          list = at < 0 ? [] : list.slice(at + 1);
        }
        for (let j = 0; j < list.length; j++) {
          const v = list[j]!;
          if (count === maxKeys) {
            truncated = true;
            break outer;
          }
          const [head, tail] = entryOf(v);
          entries.push(head, v === newest ? LATEST.true : LATEST.false, tail);
          next = { key, versionId: v.versionId };
          count++;
        }
      }
    }
    const top =
      `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(b.name)}</Name>` +
      `<Prefix>${xmlEscape(prefix)}</Prefix><KeyMarker>${xmlEscape(keyMarker)}</KeyMarker><VersionIdMarker>${xmlEscape(versionIdMarker)}</VersionIdMarker>` +
      `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated && next ? `<NextKeyMarker>${xmlEscape(next.key)}</NextKeyMarker><NextVersionIdMarker>${xmlEscape(next.versionId)}</NextVersionIdMarker>` : '');
    return Buffer.concat([Buffer.from(top), ...entries, Buffer.from('</ListVersionsResult>')]);
  };

  /** ListObjectsV2: the current objects (a delete marker on top hides a key), StartAfter / ContinuationToken (the last key) paging. */
  const listCurrent = (b: FakeBucket, q: URLSearchParams): string => {
    const prefix = q.get('prefix') ?? '';
    const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
    const maxKeys = Math.min(Math.max(Number(q.get('max-keys') ?? 1000) || 1000, 0), 1000);
    const contents: string[] = [];
    let last: string | undefined;
    let truncated = false;
    for (const key of sortedKeys(b)) {
      if (!key.startsWith(prefix) || (after !== '' && compareKeys(key, after) <= 0)) continue;
      const latest = b.objects.get(key)![0]!;
      if (latest.deleteMarker) continue;
      if (contents.length === maxKeys) {
        truncated = true;
        break;
      }
      contents.push(`<Contents><Key>${xmlEscape(key)}</Key><LastModified>${latest.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(latest.etag)}</ETag><Size>${latest.size}</Size><StorageClass>${latest.storageClass}</StorageClass></Contents>`);
      last = key;
    }
    return (
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(b.name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${contents.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated && last ? `<NextContinuationToken>${xmlEscape(last)}</NextContinuationToken>` : '') +
      `${contents.join('')}</ListBucketResult>`
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
    const q = url.searchParams;
    const operation = operationOf(method, key, q, req.headers);
    requests.set(operation, (requests.get(operation) ?? 0) + 1);
    const body = await readBody(req);
    if (throttles.count > 0 && (throttles.operation === undefined || throttles.operation === operation)) {
      throttles.count--;
      throw new S3Failure(503, 'SlowDown', 'Please reduce your request rate.');
    }
    if (failing && failing.operation === operation) {
      if (failing.after > 0) failing.after--;
      else if (failing.count > 0) {
        failing.count--;
        throw new S3Failure(failing.status, failing.code, `the fake was told to fail this ${operation}`);
      }
    }
    const send = (status: number, headers: Record<string, string>, payload?: Buffer | string) => {
      res.writeHead(status, { 'x-amz-request-id': 'FAKE', ...headers, ...(typeof payload === 'string' ? { 'content-type': 'application/xml' } : {}) });
      res.end(method === 'HEAD' ? undefined : payload);
    };
    const xml = (payload: string, headers: Record<string, string> = {}) => send(200, headers, payload);

    if (operation === 'CreateBucket') return (createBucket(decodeURIComponent(bucketName)), send(200, { location: `/${bucketName}` }));
    const b = bucketOf(decodeURIComponent(bucketName));
    switch (operation) {
      case 'HeadBucket':
      case 'GetBucketLocation':
        return operation === 'HeadBucket' ? send(200, {}) : xml(`<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`);
      case 'DeleteBucket':
        if (b.objects.size > 0) throw new S3Failure(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.');
        buckets.delete(b.name);
        return send(204, {});
      case 'PutBucketVersioning': {
        const status = /<Status>(Enabled|Suspended)<\/Status>/.exec(body.toString())?.[1] as 'Enabled' | 'Suspended' | undefined;
        if (!status) throw new S3Failure(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
        b.versioning = status;
        return send(200, {});
      }
      case 'GetBucketVersioning':
        return xml(`<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${b.versioning ? `<Status>${b.versioning}</Status>` : ''}</VersioningConfiguration>`);
      case 'ListObjectVersions':
        return send(200, { 'content-type': 'application/xml' }, listVersions(b, q));
      case 'ListObjectsV2':
        return xml(listCurrent(b, q));
      case 'DeleteObjects': {
        const text = body.toString();
        const results: string[] = [];
        for (const m of text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
          const k = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? '');
          const vid = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1]!)?.[1];
          const removed = deleteObject(b, k, vid ?? null);
          results.push(`<Deleted><Key>${xmlEscape(k)}</Key>${vid ? `<VersionId>${vid}</VersionId>` : ''}${removed.marker ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${removed.versionId}</DeleteMarkerVersionId>` : ''}</Deleted>`);
        }
        return xml(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`);
      }
    }
    const config = /^(Put|Get|Delete)(BucketLifecycleConfiguration|BucketReplication|PublicAccessBlock|ObjectLockConfiguration|BucketEncryption|BucketPolicy)$/.exec(operation);
    if (config) {
      const name = config[2]!;
      if (config[1] === 'Put') {
        if (name === 'BucketReplication' && b.versioning !== 'Enabled') throw new S3Failure(400, 'InvalidRequest', 'Versioning must be \u2018Enabled\u2019 on the bucket to apply a replication configuration');
        if (name === 'BucketReplication') {
          for (const m of body.toString().matchAll(/<Destination>[\s\S]*?<Bucket>arn:[^:]*:s3:::([^<]+)<\/Bucket>/g)) {
            const target = buckets.get(xmlUnescape(m[1]!));
            if (!target) throw new S3Failure(400, 'InvalidRequest', 'Destination bucket must exist.');
            if (target.versioning !== 'Enabled') throw new S3Failure(400, 'InvalidRequest', 'Destination bucket must have versioning enabled.');
          }
        }
        if (name === 'ObjectLockConfiguration' && b.versioning !== 'Enabled') throw new S3Failure(409, 'InvalidBucketState', 'Versioning must be \u2018Enabled\u2019 on the bucket to apply a Object Lock configuration');
        b.configs.set(name, body.toString());
        return send(200, {});
      }
      if (config[1] === 'Delete') {
        b.configs.delete(name);
        return send(204, {});
      }
      const stored = b.configs.get(name);
      if (stored === undefined) {
        const missing: Record<string, [string, string]> = {
          BucketLifecycleConfiguration: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
          BucketReplication: ['ReplicationConfigurationNotFoundError', 'The replication configuration was not found'],
          PublicAccessBlock: ['NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
          ObjectLockConfiguration: ['ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'],
          BucketEncryption: ['ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found'],
          BucketPolicy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
        };
        const [code, message] = missing[name]!;
        throw new S3Failure(404, code, message);
      }
      return name === 'BucketPolicy' ? send(200, { 'content-type': 'application/json' }, Buffer.from(stored)) : xml(stored);
    }
    if (key === undefined) throw new S3Failure(501, 'NotImplemented', `the fake does not implement ${operation}`);

    const versionId = q.get('versionId');
    switch (operation) {
      case 'PutObject': {
        const v = addVersion(b, {
          key,
          deleteMarker: false,
          body,
          size: body.length,
          etag: `"${md5(body)}"`,
          lastModified: now(),
          storageClass: (req.headers['x-amz-storage-class'] as FakeStorageClass | undefined) ?? 'STANDARD',
          ...(req.headers['content-type'] ? { contentType: String(req.headers['content-type']) } : {}),
        });
        return send(200, { etag: v.etag, ...(b.versioning ? { 'x-amz-version-id': v.versionId } : {}) });
      }
      case 'GetObject':
      case 'HeadObject': {
        const v = findVersion(b, key, versionId);
        if (v.deleteMarker) throw new S3Failure(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { 'x-amz-delete-marker': 'true', allow: 'DELETE', 'x-amz-version-id': v.versionId });
        if (operation === 'GetObject' && ARCHIVED.has(v.storageClass)) throw new S3Failure(403, 'InvalidObjectState', 'The operation is not valid for the object\u2019s storage class', { 'x-amz-storage-class': v.storageClass });
        if (operation === 'GetObject' && !v.body) throw new S3Failure(501, 'NotImplemented', `the fake keeps no bytes of the simulated object ${key} (${v.size} bytes)`);
        return send(200, versionHeaders(v), v.body);
      }
      case 'DeleteObject': {
        const removed = deleteObject(b, key, versionId);
        return send(204, {
          ...(removed.marker ? { 'x-amz-delete-marker': 'true' } : {}),
          ...(removed.versionId && (b.versioning || versionId) ? { 'x-amz-version-id': removed.versionId } : {}),
        });
      }
      case 'CopyObject': {
        const source = copySource(String(req.headers['x-amz-copy-source']));
        if (source.size > fake.copyLimit)
          throw new S3Failure(400, 'InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${fake.copyLimit}`);
        const corrupt = corruptions.findIndex((p) => (typeof p === 'string' ? key.includes(p) : p.test(key)));
        if (corrupt >= 0) corruptions.splice(corrupt, 1);
        // A corrupted copy: the same size, its first byte flipped, so only the ETag tells.
        const bytes = corrupt >= 0 && source.body ? Buffer.from(source.body) : source.body;
        if (corrupt >= 0 && bytes && bytes.length > 0) bytes[0] = bytes[0]! ^ 0xff;
        const v = addVersion(b, {
          key,
          deleteMarker: false,
          ...(bytes ? { body: bytes } : {}),
          size: source.size,
          etag: corrupt < 0 ? source.etag : `"${md5(bytes && bytes.length > 0 ? bytes : Buffer.from(`corrupted ${key}`))}"`,
          lastModified: now(),
          storageClass: (req.headers['x-amz-storage-class'] as FakeStorageClass | undefined) ?? 'STANDARD',
          ...(source.contentType ? { contentType: source.contentType } : {}),
        });
        const headers: Record<string, string> = b.versioning ? { 'x-amz-version-id': v.versionId } : {};
        if (source.versionId !== 'null' || versionId) headers['x-amz-copy-source-version-id'] = source.versionId;
        return xml(`<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>${v.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(v.etag)}</ETag></CopyObjectResult>`, headers);
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomBytes(12).toString('hex');
        b.uploads.set(uploadId, { key, parts: new Map() });
        return xml(`<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${xmlEscape(b.name)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
      }
      case 'UploadPart':
      case 'UploadPartCopy': {
        const upload = b.uploads.get(q.get('uploadId') ?? '');
        if (!upload) throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
        const partNumber = Number(q.get('partNumber'));
        if (operation === 'UploadPart') {
          const etag = `"${md5(body)}"`;
          upload.parts.set(partNumber, { size: body.length, etag, body });
          return send(200, { etag });
        }
        const source = copySource(String(req.headers['x-amz-copy-source']));
        const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['x-amz-copy-source-range'] ?? ''));
        const [first, last] = range ? [Number(range[1]), Number(range[2])] : [0, source.size - 1];
        if (last >= source.size || first > last) throw new S3Failure(400, 'InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy');
        const size = last - first + 1;
        if (size > fake.copyLimit) throw new S3Failure(400, 'InvalidRequest', 'The specified copy source range is larger than the maximum allowable part size');
        const etag = `"${md5(Buffer.from(`${source.etag}:${first}-${last}`))}"`;
        upload.parts.set(partNumber, { size, etag, ...(source.body ? { body: source.body.subarray(first, last + 1) } : {}) });
        return xml(`<?xml version="1.0" encoding="UTF-8"?><CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>${xmlEscape(etag)}</ETag></CopyPartResult>`, {
          ...(source.versionId !== 'null' ? { 'x-amz-copy-source-version-id': source.versionId } : {}),
        });
      }
      case 'CompleteMultipartUpload': {
        const uploadId = q.get('uploadId') ?? '';
        const upload = b.uploads.get(uploadId);
        if (!upload) throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
        const listed = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        const parts = listed.map((n) => {
          const part = upload.parts.get(n);
          if (!part) throw new S3Failure(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          return part;
        });
        const size = parts.reduce((sum, p) => sum + p.size, 0);
        const whole = parts.every((p) => p.body) ? Buffer.concat(parts.map((p) => p.body!)) : undefined;
        const etag = `"${md5(Buffer.concat(parts.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex'))))}-${parts.length}"`;
        b.uploads.delete(uploadId);
        const v = addVersion(b, { key, deleteMarker: false, ...(whole ? { body: whole } : {}), size, etag, lastModified: now(), storageClass: 'STANDARD' });
        return xml(
          `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${xmlEscape(b.name)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
          b.versioning ? { 'x-amz-version-id': v.versionId } : {},
        );
      }
      case 'AbortMultipartUpload':
        b.uploads.delete(q.get('uploadId') ?? '');
        return send(204, {});
    }
    throw new S3Failure(501, 'NotImplemented', `the fake does not implement ${operation}`);
  };

  /** DeleteObject: with a versionId, removes that version for ever; without, adds a delete marker (versioned) or removes the null version. */
  const deleteObject = (b: FakeBucket, key: string, versionId: string | null): { marker: boolean; versionId?: string } => {
    const list = b.objects.get(key) ?? [];
    if (versionId !== null) {
      const i = list.findIndex((v) => v.versionId === versionId);
      if (i < 0) return { marker: false, versionId };
      const [removed] = list.splice(i, 1);
      if (list.length === 0) {
        b.objects.delete(key);
        b.sorted = undefined;
      }
      return { marker: removed!.deleteMarker, versionId };
    }
    if (!b.versioning) {
      const i = list.findIndex((v) => v.versionId === 'null');
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && b.objects.has(key)) {
        b.objects.delete(key);
        b.sorted = undefined;
      }
      return { marker: false };
    }
    const marker = addVersion(b, { key, deleteMarker: true, size: 0, etag: '', lastModified: now(), storageClass: 'STANDARD' });
    return { marker: true, versionId: marker.versionId };
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const failure = err instanceof S3Failure ? err : new S3Failure(500, 'InternalError', err instanceof Error ? err.message : String(err));
      if (res.headersSent) return res.destroy();
      res.writeHead(failure.status, { 'content-type': 'application/xml', 'x-amz-request-id': 'FAKE', ...failure.headers });
      res.end(req.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message><RequestId>FAKE</RequestId></Error>`);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** Decodes an `aws-chunked` body (the SDK's streaming upload with checksum trailers): `size[;ext]\r\n data\r\n … 0\r\n trailers`. */
export function decodeAwsChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.subarray(at, eol).toString().split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

