import type { ListObjectVersionsCommandOutput } from '@aws-sdk/client-s3';
import { compareUtf8 } from '@lifeboat/core';
import type { MediaS3 } from './client.js';
import { readVersionsPage, type VersionsPage } from './versions-page.js';

/** One version (or delete marker) of a key: a line of the checkpoint, and what the as-of choice reads. */
export interface VersionEntry {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  isLatest: boolean;
  /** ISO time. */
  lastModified: string;
  size: number;
  etag: string;
  storageClass: string;
}

/** Consecutive empty truncated pages after which the listing gives up (AWS may return a few; not thousands). */
const MAX_EMPTY_PAGES = 1000;

/** S3's key order: by UTF-8 bytes. */
export const compareKeys = compareUtf8;

/**
 * Every version and delete marker under `prefix`, keys in S3's order and each
 * key's versions newest first, one page (≤ 1000) in memory at a time. Pages
 * continue with KeyMarker/VersionIdMarker while S3 says IsTruncated — an
 * empty page does not end the listing.
 */
export async function* listVersions(s3: MediaS3, opts: { bucket: string; prefix?: string; signal?: AbortSignal; pageSize?: number }): AsyncGenerator<VersionEntry> {
  const fetchPage = async (keyMarker: string | undefined, versionIdMarker: string | undefined): Promise<VersionsPage> => {
    const command = new s3.sdk.ListObjectVersionsCommand({
      Bucket: opts.bucket,
      ...(opts.prefix ? { Prefix: opts.prefix } : {}),
      ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
      ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
      ...(opts.pageSize ? { MaxKeys: opts.pageSize } : {}),
    });
    const reader = readVersionsPage(command);
    const page: ListObjectVersionsCommandOutput = await s3.client.send(command, opts.signal ? { abortSignal: opts.signal } : {});
    return (
      reader.page() ?? {
        entries: pageEntries(page),
        isTruncated: page.IsTruncated === true,
        ...(page.NextKeyMarker !== undefined ? { nextKeyMarker: page.NextKeyMarker } : {}),
        ...(page.NextVersionIdMarker ? { nextVersionIdMarker: page.NextVersionIdMarker } : {}),
      }
    );
  };
  let empty = 0;
  let keyMarker: string | undefined;
  let next: Promise<VersionsPage> | undefined = fetchPage(undefined, undefined);
  try {
    while (next) {
      opts.signal?.throwIfAborted();
      const page: VersionsPage = await next;
      next = undefined;
      const entries = page.entries;
      if (page.isTruncated) {
        empty = entries.length === 0 ? empty + 1 : 0;
        if (empty > MAX_EMPTY_PAGES) throw new Error(`listing the versions of s3://${opts.bucket} made no progress after ${MAX_EMPTY_PAGES} empty pages (S3 kept answering IsTruncated with nothing in it)`);
        if (page.nextKeyMarker === undefined && entries.length > 0) throw new Error(`listing the versions of s3://${opts.bucket}: a truncated page without NextKeyMarker`);
        keyMarker = page.nextKeyMarker ?? keyMarker;
        // The next page is asked for while this one is used: the round trip overlaps the work.
        next = fetchPage(keyMarker, page.nextVersionIdMarker);
      }
      yield* entries;
    }
  } finally {
    // A consumer that stops early leaves no request unobserved.
    next?.catch(() => undefined);
  }
}

/**
 * The page's versions and delete markers in listing order. The SDK parses
 * them into two lists; both keep S3's order, so merging by key, then newest
 * first, restores it (a tie in LastModified keeps versions before markers).
 */
export function pageEntries(page: Pick<ListObjectVersionsCommandOutput, 'Versions' | 'DeleteMarkers'>): VersionEntry[] {
  const versions: VersionEntry[] = (page.Versions ?? []).map((v) => ({
    key: v.Key ?? '',
    versionId: v.VersionId ?? 'null',
    deleteMarker: false,
    isLatest: v.IsLatest === true,
    lastModified: (v.LastModified ?? new Date(0)).toISOString(),
    size: v.Size ?? 0,
    etag: v.ETag ?? '',
    storageClass: v.StorageClass ?? 'STANDARD',
  }));
  const markers: VersionEntry[] = (page.DeleteMarkers ?? []).map((m) => ({
    key: m.Key ?? '',
    versionId: m.VersionId ?? 'null',
    deleteMarker: true,
    isLatest: m.IsLatest === true,
    lastModified: (m.LastModified ?? new Date(0)).toISOString(),
    size: 0,
    etag: '',
    storageClass: '',
  }));
  if (markers.length === 0) return versions;
  const merged: VersionEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < versions.length || j < markers.length) {
    const v = versions[i];
    const m = markers[j];
    const takeVersion = m === undefined || (v !== undefined && (compareKeys(v.key, m.key) < 0 || (v.key === m.key && (v.isLatest || (!m.isLatest && v.lastModified >= m.lastModified)))));
    merged.push(takeVersion ? v! : m);
    if (takeVersion) i++;
    else j++;
  }
  return merged;
}

/** A key with its versions newest first, as the listing gives them. */
export interface KeyHistory {
  key: string;
  versions: VersionEntry[];
}

/** Groups the listing by key (one key's versions in memory at a time). */
export async function* byKey(entries: AsyncIterable<VersionEntry>): AsyncGenerator<KeyHistory> {
  let current: KeyHistory | undefined;
  for await (const entry of entries) {
    if (current && current.key === entry.key) {
      current.versions.push(entry);
      continue;
    }
    if (current) yield current;
    current = { key: entry.key, versions: [entry] };
  }
  if (current) yield current;
}
