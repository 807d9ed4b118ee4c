import { currentVersion, markersAfter, versionAsOf } from './as-of.js';
import type { KeyHistory } from './inventory.js';

/** Where an as-of restore writes. */
export type MediaTarget =
  /** Into another bucket (or a prefix of the same one): keys absent at the time are skipped, nothing is deleted. */
  | { kind: 'toBucket'; bucket: string; toPrefix: string }
  /** Over the live keys: each becomes its version as of the time (a new version), or is deleted (a delete marker). */
  | { kind: 'inPlace' }
  /** Only remove the delete markers made after the time. */
  | { kind: 'undelete' };

/** One line of the reviewable plan (`--dry-run` writes them as JSON lines). */
export type MediaAction =
  | { action: 'copy'; key: string; toKey: string; versionId: string; size: number; etag: string; lastModified: string }
  | { action: 'delete'; key: string; toKey: string }
  | { action: 'undelete'; key: string; versionId: string; lastModified: string }
  | { action: 'archived'; key: string; versionId: string; storageClass: string; size: number; thaw: string };

export const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** The command that makes an archived version readable again (for 7 days), for reports. */
export function thawCommand(bucket: string, key: string, versionId: string): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `aws s3api restore-object --bucket ${bucket} --key ${quote(key)} --version-id ${versionId} --restore-request '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}'`;
}

/** What a key needs for the target to hold it as of `time`; `[]` when nothing (absent then and now, or unchanged). */
export function actionsFor(history: KeyHistory, time: number, target: MediaTarget, bucket: string): MediaAction[] {
  const { key } = history;
  if (target.kind === 'undelete') return markersAfter(history, time).map((m) => ({ action: 'undelete', key, versionId: m.versionId, lastModified: m.lastModified }));
  const then = versionAsOf(history, time);
  const toKey = target.kind === 'toBucket' ? target.toPrefix + key : key;
  if (!then) {
    return target.kind === 'inPlace' && currentVersion(history) ? [{ action: 'delete', key, toKey }] : [];
  }
  if (target.kind === 'inPlace') {
    const now = currentVersion(history);
    if (now && (now.versionId === then.versionId || (now.etag === then.etag && now.size === then.size && !now.etag.includes('-')))) return [];
  }
  if (ARCHIVE_CLASSES.has(then.storageClass)) {
    return [{ action: 'archived', key, versionId: then.versionId, storageClass: then.storageClass, size: then.size, thaw: thawCommand(bucket, key, then.versionId) }];
  }
  return [{ action: 'copy', key, toKey, versionId: then.versionId, size: then.size, etag: then.etag, lastModified: then.lastModified }];
}

/** Counts and bytes of a plan, as the dry run and the report say them. */
export interface PlanTally {
  keys: number;
  copy: number;
  copyBytes: number;
  delete: number;
  undelete: number;
  archived: number;
  archivedBytes: number;
}

export function emptyTally(): PlanTally {
  return { keys: 0, copy: 0, copyBytes: 0, delete: 0, undelete: 0, archived: 0, archivedBytes: 0 };
}

export function tally(t: PlanTally, a: MediaAction): void {
  if (a.action === 'copy') {
    t.copy++;
    t.copyBytes += a.size;
  } else if (a.action === 'archived') {
    t.archived++;
    t.archivedBytes += a.size;
  } else t[a.action]++;
}
