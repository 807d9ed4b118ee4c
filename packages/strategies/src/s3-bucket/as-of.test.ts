import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { actionsFor } from './actions.js';
import { versionAsOf } from './as-of.js';
import type { KeyHistory, VersionEntry } from './inventory.js';

/** A random history: puts (with content) and deletes of a few keys, one per millisecond. */
const history = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c/d', 'é'), op: fc.constantFrom('put', 'put', 'delete'), content: fc.string({ maxLength: 4 }) }), { maxLength: 40 });

/** What S3 with versioning on keeps of such a history, per key newest first, as ListObjectVersions gives it. */
function versioned(ops: { key: string; op: string; content: string }[]): KeyHistory[] {
  const byKey = new Map<string, VersionEntry[]>();
  ops.forEach((o, i) => {
    const list = byKey.get(o.key) ?? [];
    list.forEach((v) => (v.isLatest = false));
    const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    list.unshift({ key: o.key, versionId: `v${i}`, deleteMarker: o.op === 'delete', isLatest: true, lastModified: at, size: o.content.length, etag: `"${o.content}"`, storageClass: 'STANDARD' });
    byKey.set(o.key, list);
  });
  return [...byKey.entries()].map(([key, versions]) => ({ key, versions }));
}

/** The live keys after the first `n` operations, by replaying them. */
function liveAfter(ops: { key: string; op: string; content: string }[], n: number): Map<string, string> {
  const live = new Map<string, string>();
  for (const o of ops.slice(0, n)) {
    if (o.op === 'put') live.set(o.key, o.content);
    else live.delete(o.key);
  }
  return live;
}

const timeAfter = (n: number) => Date.UTC(2026, 0, 1) + n * 1000 - 500;

describe('as of a time (property tests over random histories)', () => {
  test('each key\u2019s version as of T is its content then; a key deleted or not yet made is absent', () => {
    fc.assert(
      fc.property(history, fc.nat(), (ops, cut) => {
        const n = ops.length === 0 ? 0 : cut % (ops.length + 1);
        const expected = liveAfter(ops, n);
        const got = new Map<string, string>();
        for (const h of versioned(ops)) {
          const v = versionAsOf(h, timeAfter(n));
          if (v) got.set(h.key, v.etag.slice(1, -1));
        }
        expect(got).toEqual(expected);
      }),
    );
  });

  test('in place: applying the actions to the live keys yields exactly the keys and contents live at T', () => {
    fc.assert(
      fc.property(history, fc.nat(), (ops, cut) => {
        const n = ops.length === 0 ? 0 : cut % (ops.length + 1);
        const live = liveAfter(ops, ops.length);
        const histories = versioned(ops);
        const content = new Map(histories.flatMap((h) => h.versions.map((v) => [v.versionId, v.etag.slice(1, -1)] as const)));
        for (const h of histories) {
          for (const a of actionsFor(h, timeAfter(n), { kind: 'inPlace' }, 'bucket')) {
            if (a.action === 'copy') live.set(a.toKey, content.get(a.versionId)!);
            else if (a.action === 'delete') live.delete(a.toKey);
            else throw new Error(`unexpected ${a.action}`);
          }
        }
        expect(live).toEqual(liveAfter(ops, n));
      }),
    );
  });

  test('to a bucket: the copies are exactly the keys live at T, under the prefix, and nothing is deleted', () => {
    fc.assert(
      fc.property(history, fc.nat(), (ops, cut) => {
        const n = ops.length === 0 ? 0 : cut % (ops.length + 1);
        const copied = new Map<string, string>();
        for (const h of versioned(ops)) {
          for (const a of actionsFor(h, timeAfter(n), { kind: 'toBucket', bucket: 'other', toPrefix: 'r/' }, 'bucket')) {
            expect(a.action).toBe('copy');
            if (a.action === 'copy') copied.set(a.toKey.slice(2), a.etag.slice(1, -1));
          }
        }
        expect(copied).toEqual(liveAfter(ops, n));
      }),
    );
  });

  test('undelete removes exactly the delete markers made after T', () => {
    fc.assert(
      fc.property(history, fc.nat(), (ops, cut) => {
        const n = ops.length === 0 ? 0 : cut % (ops.length + 1);
        const removed = versioned(ops).flatMap((h) => actionsFor(h, timeAfter(n), { kind: 'undelete' }, 'bucket').map((a) => ('versionId' in a ? a.versionId : '')));
        const expected = ops.flatMap((o, i) => (o.op === 'delete' && i >= n ? [`v${i}`] : []));
        expect(removed.sort()).toEqual(expected.sort());
      }),
    );
  });

  test('a version in GLACIER is reported with its thaw command, not copied', () => {
    const h: KeyHistory = { key: 'old.jpg', versions: [{ key: 'old.jpg', versionId: 'v1', deleteMarker: false, isLatest: false, lastModified: '2026-01-01T00:00:00.000Z', size: 3, etag: '"x"', storageClass: 'GLACIER' }] };
    expect(actionsFor(h, Date.parse('2026-01-02T00:00:00Z'), { kind: 'toBucket', bucket: 'b', toPrefix: '' }, 'media')).toEqual([
      expect.objectContaining({ action: 'archived', thaw: expect.stringContaining("aws s3api restore-object --bucket media --key 'old.jpg' --version-id v1") }),
    ]);
  });
});
