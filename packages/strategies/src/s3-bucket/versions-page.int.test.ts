import { useS3VersionedFake } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mediaS3 } from './client.js';
import { listVersions, pageEntries, type VersionEntry } from './inventory.js';
import { parseVersionsPage } from './versions-page.js';

const theFake = useS3VersionedFake({ beforeAll, afterAll });

/** The same listing read by the SDK's own deserializer: pages of `pageSize`, Versions and DeleteMarkers merged by pageEntries. */
async function sdkListing(s3: Awaited<ReturnType<typeof mediaS3>>, bucket: string, pageSize: number): Promise<VersionEntry[]> {
  const all: VersionEntry[] = [];
  let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.client.send(new s3.sdk.ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: pageSize, ...marker }));
    all.push(...pageEntries(page));
    if (!page.IsTruncated) return all;
    marker = { KeyMarker: page.NextKeyMarker!, ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}) };
  }
}

describe('ListObjectVersions pages read without the SDK deserializer (S3 versioning fake)', () => {
  test('the listing is exactly what the SDK reads: keys with entities and non-ASCII, delete markers between versions, across pages', async () => {
    const fake = theFake();
    fake.createBucket('pages', { versioning: 'Enabled' });
    const keys = ['a&b <c> "d".jpg', 'plain/1.jpg', 'plain/2.jpg', 'ünïcode/é.png', 'emoji/\u{1F600}.gif', 'fullwidth/\uFF21.gif', "it's.txt"];
    let t = Date.parse('2026-01-01T00:00:00Z');
    for (const [i, key] of keys.entries()) {
      fake.seed('pages', key, { body: `v1 of ${key}`, lastModified: new Date((t += 1000)) });
      if (i % 2 === 0) fake.seed('pages', key, { deleteMarker: true, lastModified: new Date((t += 1000)) });
      fake.seed('pages', key, { size: 5000 + i, storageClass: i === 3 ? 'GLACIER' : 'STANDARD', lastModified: new Date((t += 1000)) });
    }
    const s3 = await mediaS3({ region: fake.region, endpoint: fake.endpoint });
    try {
      for (const pageSize of [1, 2, 3, 1000]) {
        const mine: VersionEntry[] = [];
        for await (const v of listVersions(s3, { bucket: 'pages', pageSize })) mine.push(v);
        expect(mine, `pages of ${pageSize}`).toEqual(await sdkListing(s3, 'pages', pageSize));
      }
      const mine: VersionEntry[] = [];
      for await (const v of listVersions(s3, { bucket: 'pages' })) mine.push(v);
      expect(mine.map((v) => v.key)).toContain('a&b <c> "d".jpg');
      expect(mine.filter((v) => v.deleteMarker)).toHaveLength(4);
      expect(mine).toHaveLength(keys.length * 2 + 4);
    } finally {
      s3.client.destroy();
    }
  });

  test('reads a page as S3 writes it (escaped ETag quotes, numeric entities, markers), and leaves any other document to the SDK', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker>' +
      '<VersionIdMarker></VersionIdMarker><NextKeyMarker>k&amp;2</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>' +
      '<DeleteMarker><Key>k&#38;1</Key><VersionId>m1</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-02T00:00:00.000Z</LastModified></DeleteMarker>' +
      '<Version><Key>k&#x26;1</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD_IA</StorageClass></Version>' +
      '</ListVersionsResult>';
    expect(parseVersionsPage(xml)).toEqual({
      isTruncated: true,
      nextKeyMarker: 'k&2',
      nextVersionIdMarker: 'v2',
      entries: [
        { key: 'k&1', versionId: 'm1', deleteMarker: true, isLatest: true, lastModified: '2026-01-02T00:00:00.000Z', size: 0, etag: '', storageClass: '' },
        { key: 'k&1', versionId: 'v1', deleteMarker: false, isLatest: false, lastModified: '2026-01-01T00:00:00.000Z', size: 12, etag: '"abc"', storageClass: 'STANDARD_IA' },
      ],
    });
    expect(parseVersionsPage('<Error><Code>SlowDown</Code></Error>')).toBeUndefined();
    // A time without milliseconds, an ETag with an entity inside its quotes, an empty StorageClass element.
    const odd = parseVersionsPage(
      '<ListVersionsResult><IsTruncated>false</IsTruncated><Version><Key>k</Key><VersionId>v</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00Z</LastModified>' +
        '<ETag>&quot;a&amp;b&quot;</ETag><Size>0</Size><StorageClass/></Version></ListVersionsResult>',
    );
    expect(odd).toEqual({ isTruncated: false, entries: [{ key: 'k', versionId: 'v', deleteMarker: false, isLatest: true, lastModified: '2026-01-01T00:00:00.000Z', size: 0, etag: '"a&b"', storageClass: '' }] });
  });
});
