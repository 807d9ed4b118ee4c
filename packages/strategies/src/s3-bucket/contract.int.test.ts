import { startS3VersionedFake, type S3VersionedFake } from '@lifeboat/testkit';
import type { Strategy } from '@lifeboat/core';
import { strategyContract } from '../contract/index.js';
import { s3BucketStrategy } from './index.js';

// The contract against the S3 versioning FAKE (no cloud). A restore target is
// another bucket (`--to-bucket`) as of the time the target is asked for; an
// occupied one holds the same keys with other content.
let fake: S3VersionedFake;
let n = 0;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

/** The live keys of a bucket and their contents. */
function live(bucket: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const v of fake.versions(bucket)) {
    if (seen.has(v.key)) continue;
    seen.add(v.key);
    if (!v.deleteMarker) out[v.key] = v.body?.toString() ?? '';
  }
  return out;
}

strategyContract('s3-bucket', {
  strategy: s3BucketStrategy as Strategy<never>,
  start: async () => {
    fake = await startS3VersionedFake();
    process.env.AWS_ACCESS_KEY_ID = fake.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = fake.credentials.secretAccessKey;
  },
  stop: async () => {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await fake.stop();
  },
  confirm: { yes: true },
  onChange: false,
  stockTools: { 'inventory.jsonl.gz': { command: 'gunzip -c | head -n 1', output: /"versionId"/ } },
  source: async () => {
    const bucket = `contract-${++n}`;
    fake.createBucket(bucket, { versioning: 'Enabled' });
    const ago = (ms: number) => new Date(Date.now() - ms);
    return {
      config: { bucket, region: fake.region, endpoint: fake.endpoint },
      env: {},
      secrets: [fake.credentials.secretAccessKey],
      fill: async () => {
        // 2,500 versions (three listing pages), overwrites, delete markers, awkward names.
        for (let i = 0; i < 2500; i++) {
          const key = `photos/${String(i % 800).padStart(4, '0')}.jpg`;
          fake.seed(bucket, key, i % 9 === 8 ? { deleteMarker: true, lastModified: ago(600_000 - i) } : { body: `v${i}`, lastModified: ago(600_000 - i) });
        }
        for (const key of ['ünïcödé/ключ.png', 'with space & amp.txt', 'deep/a/b/c/d.txt']) fake.seed(bucket, key, { body: key, lastModified: ago(500_000) });
      },
      measure: async () => live(bucket),
      dying: async () => {
        // The third ListObjectVersions page is refused: the backup has streamed two pages by then.
        fake.failAfter('ListObjectVersions', 2);
        return { config: {}, env: {}, failure: /AccessDenied|told to fail/ };
      },
      target: async (state) => {
        const to = `${bucket}-to-${++n}`;
        fake.createBucket(to, { versioning: 'Enabled' });
        if (state === 'occupied') for (const key of Object.keys(live(bucket)).slice(0, 5)) fake.seed(to, key, { body: 'held by the target' });
        return { request: { options: { asOf: new Date().toISOString(), toBucket: to } }, env: {}, measure: async () => live(to) };
      },
      cleanup: async () => {
        fake.failAfter('none', 0, 0);
      },
    };
  },
});
