import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3, type TestS3 } from '@lifeboat/testkit';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { lifeboat, workspace, type Workspace } from './test/harness.js';

/**
 * `lifeboat s3 apply|check|policy` as a user types them. s3rver implements
 * none of the bucket settings, so against it apply and check can only say so
 * in a sentence; what apply does to a real bucket (calls, order, dry run,
 * idempotence, drift) is proven with a mocked client in
 * packages/storage/src/s3/bucket-apply.test.ts.
 */

const civicqExample = fileURLToPath(new URL('../../../examples/civicq.yaml', import.meta.url));

let s3: TestS3;
let bucket: string;
let ws: Workspace;
beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.bucket();
  ws = await workspace();
  // The CLI's S3 clients take credentials from the AWS default chain, as in production.
  for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await s3?.stop();
  await ws?.cleanup();
});

const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir });

function plan(s3Fields = '', endpoint = s3.endpoint): string {
  return `version: 1
name: test
destinations:
  local: { type: fs, path: ${JSON.stringify(join(ws.dir, 'local'))} }
  s3: { type: s3, bucket: ${bucket}, region: ${s3.region}, endpoint: ${JSON.stringify(endpoint)}, prefix: civicq${s3Fields} }
components:
  config:
    type: files
    paths: [${JSON.stringify(join(ws.dir, 'etc'))}]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [local, s3]
lifecycle:
  s3:
    scope: artifacts
    transitions:
      - { days: 30, class: STANDARD_IA }
      - { days: 90, class: GLACIER }
      - { days: 365, class: DEEP_ARCHIVE }
    expireDays: 2555
`;
}

describe('lifeboat s3 policy', () => {
  test("prints the least policy for examples/civicq.yaml: backups, thawing archived artifacts, and s3 apply's statement apart", async () => {
    const { exitCode, stdout, stderr } = await lifeboat(['--plan', civicqExample, 's3', 'policy'], { lockDir: ws.lockDir });
    expect(stderr).toBe('lifeboat: note: restore media --to-bucket B needs s3:ListBucket and s3:PutObject on B as well; the policy covers only s3://civicq-media\n');
    expect(exitCode).toBe(0);
    const policy = JSON.parse(stdout) as { Version: string; Statement: Array<{ Sid: string; Action: string[]; Resource: string[] }> };
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      'LifeboatListBackups',
      'LifeboatReadWriteBackups',
      'LifeboatThawArchivedBackups',
      'OnlyForLifeboatS3ApplyAndCheck',
      'OnlyForLifeboatS3ApplyAndCheckPassReplicationRole',
      // The media component's (type: s3-bucket, docs/media.md#permissions).
      'LifeboatMediaListVersionsAndSettingsmedia',
      'LifeboatMediaReadAndRestoreVersionsmedia',
      'LifeboatMediaReadReplicaVersioningmedia',
      // The system component's (type: ec2, docs/ec2.md#permissions).
      'LifeboatEc2Describesystem',
      'LifeboatEc2CreateImagesystem',
      'LifeboatEc2TagWhatItMakessystem',
      'LifeboatEc2RemoveItsOwnImagessystem',
      'LifeboatEc2LaunchForRestoreAndDrillsystem',
      'LifeboatEc2TerminateDrillInstancessystem',
      'LifeboatEc2CopyImagesystem',
      // s3 apply/check for the media bucket and its replica, apart like the destinations'.
      'OnlyForLifeboatS3ApplyAndCheckComponentBuckets',
      'OnlyForLifeboatS3ApplyAndCheckComponentBucketsPassReplicationRole',
    ]);
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.LifeboatReadWriteBackups).toMatchObject({
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObjectTagging'],
      Resource: ['arn:aws:s3:::civicq-backups/*'],
    });
    expect(bySid.LifeboatThawArchivedBackups?.Action).toEqual(['s3:RestoreObject']);
    expect(bySid.OnlyForLifeboatS3ApplyAndCheck?.Resource).toEqual(['arn:aws:s3:::civicq-backups']);
    expect(bySid.OnlyForLifeboatS3ApplyAndCheck?.Action).toContain('s3:PutLifecycleConfiguration');
    expect(bySid.OnlyForLifeboatS3ApplyAndCheck?.Action).toContain('s3:PutReplicationConfiguration');
    expect(bySid.LifeboatMediaReadAndRestoreVersionsmedia?.Resource).toEqual(['arn:aws:s3:::civicq-media/*']);
    expect(bySid.OnlyForLifeboatS3ApplyAndCheckComponentBuckets).toMatchObject({
      Action: [
        's3:GetBucketPublicAccessBlock',
        's3:GetBucketVersioning',
        's3:GetEncryptionConfiguration',
        's3:GetLifecycleConfiguration',
        's3:GetReplicationConfiguration',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketVersioning',
        's3:PutReplicationConfiguration',
      ],
      Resource: ['arn:aws:s3:::civicq-media-backup', 'arn:aws:s3:::civicq-media'],
    });
    // The replication to the second region needs its role handed to S3, and only that role.
    expect(bySid.OnlyForLifeboatS3ApplyAndCheckPassReplicationRole).toMatchObject({
      Action: ['iam:PassRole'],
      Resource: ['arn:aws:iam::123456789012:role/lifeboat-replication'],
    });
  });

  test('refuses a destination that is not s3, in a sentence', async () => {
    const { exitCode, stdout, stderr } = await lifeboat(['--plan', civicqExample, 's3', 'policy', 'local'], { lockDir: ws.lockDir });
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("lifeboat: destination 'local' is type fs, not s3; the s3 destinations are second\n");
  });
});

describe('lifeboat s3 apply and check against s3rver', () => {
  test('apply --dry-run: s3rver lacks bucket settings, which is one sentence and exit 1', async () => {
    await ws.writePlan(plan());
    const { exitCode, stdout, stderr } = await cli('s3', 'apply', '--dry-run');
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `lifeboat: cannot read the default encryption of s3://${bucket}: the store does not implement this request ` +
        '(S3-compatible stores often lack bucket settings) (NotImplemented)\n',
    );
    expect(exitCode).toBe(1);
  });

  test('check --json: the same, as a failed bucket', async () => {
    await ws.writePlan(plan());
    const { exitCode, stdout } = await cli('s3', 'check', '--json');
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout)).toEqual([
      {
        bucket,
        destinations: ['s3'],
        outcome: 'failed',
        changes: [],
        applied: [],
        problems: [],
        notes: [],
        error: expect.stringMatching(new RegExp(`^cannot read the default encryption of s3://${bucket}: .*\\(NotImplemented\\)$`)),
      },
    ]);
  });

  test('a plan that contradicts itself for a bucket changes nothing and exits 2, without asking S3', async () => {
    await ws.writePlan(plan(', versioning: false, replication: { bucket: civicq-replica, region: us-west-2, roleArn: "arn:aws:iam::123456789012:role/replication" }'));
    const { exitCode, stdout } = await cli('s3', 'apply');
    expect(stdout).toBe(
      [
        `s3://${bucket} (destination s3):`,
        "  problem: destination 's3': replication needs versioning, which versioning: false leaves off; S3 replicates only from versioned buckets",
        "  nothing was changed: fix the plan's problems above first",
        '',
      ].join('\n'),
    );
    expect(exitCode).toBe(2);
  });

  test('names only s3 destinations of the plan', async () => {
    await ws.writePlan(plan());
    const { exitCode, stderr } = await cli('s3', 'check', 'nope');
    expect(exitCode).toBe(2);
    expect(stderr).toBe(`lifeboat: ${ws.plan} has no destination or component 'nope'; name s3 destinations (s3)\n`);
  });
});

/**
 * Answers the bucket-setting reads as S3 does for a bucket created today
 * (SSE-S3 on, nothing else set), and nothing more: enough to see what apply
 * --dry-run and check print over HTTP. Any other request is a 501.
 */
async function newBucketS3(): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const xml = (status: number, body: string) => ({ status, body: `<?xml version="1.0" encoding="UTF-8"?>${body}` });
  const missing = (code: string) => xml(404, `<Error><Code>${code}</Code><Message>The configuration does not exist</Message></Error>`);
  const answers: Record<string, { status: number; body: string }> = {
    versioning: xml(200, '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'),
    encryption: xml(
      200,
      '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>' +
        '<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>',
    ),
    publicAccessBlock: missing('NoSuchPublicAccessBlockConfiguration'),
    lifecycle: missing('NoSuchLifecycleConfiguration'),
    replication: missing('ReplicationConfigurationNotFoundError'),
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const setting = [...url.searchParams.keys()][0] ?? '';
    requests.push(`${request.method} ${setting}`);
    const answer = request.method === 'GET' ? answers[setting] : undefined;
    response.writeHead(answer?.status ?? 501, { 'content-type': 'application/xml' });
    response.end(answer?.body ?? '<Error><Code>NotImplemented</Code><Message>not in this fake</Message></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('lifeboat s3 apply --dry-run and check on a new bucket (a fake S3 answering only bucket-setting reads: s3rver lacks them)', () => {
  test('apply --dry-run prints every change and sends no write', async () => {
    const fake = await newBucketS3();
    try {
      await ws.writePlan(plan('', fake.endpoint));
      const { exitCode, stdout, stderr } = await cli('s3', 'apply', '--dry-run');
      expect(stderr).toBe('');
      expect(stdout).toBe(
        [
          `s3://${bucket} (destination s3):`,
          '  enable versioning',
          '  block all public access (was: none blocked)',
          '  set lifecycle rule lifeboat-artifacts: STANDARD_IA at 30 days, GLACIER at 90, DEEP_ARCHIVE at 365, expire at 2555 (objects tagged lifeboat-kind=artifact)',
          '  set lifecycle rule lifeboat-cleanup: delete noncurrent versions after 30 days, remove expired delete markers, abort incomplete multipart uploads after 7 days (every object under civicq/)',
          '  dry run: nothing was changed (4 changes would be made)',
          '',
        ].join('\n'),
      );
      expect(exitCode).toBe(0);
      expect(fake.requests.every((r) => r.startsWith('GET '))).toBe(true);
    } finally {
      await fake.close();
    }
  });

  test('check reports the drift and exits 3', async () => {
    const fake = await newBucketS3();
    try {
      await ws.writePlan(plan('', fake.endpoint));
      const { exitCode, stdout } = await cli('s3', 'check');
      expect(stdout.split('\n').at(-2)).toBe('  drift: 4 changes to make (lifeboat s3 apply)');
      expect(exitCode).toBe(3);
      const json = await cli('s3', 'check', '--json');
      expect(json.exitCode).toBe(3);
      expect(JSON.parse(json.stdout)).toMatchObject([{ bucket, outcome: 'drift', changes: expect.arrayContaining(['enable versioning']) }]);
    } finally {
      await fake.close();
    }
  });
});
