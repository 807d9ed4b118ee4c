import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startS3, type TestS3 } from '@lifeboat/testkit';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { eachWorkspace, lifeboat, type Workspace } from './test/harness.js';

/**
 * Issue 11, item 7: a destination that cannot be read is never a pass. A
 * backup goes to a folder and to a real S3-protocol server (s3rver), which is
 * then stopped, as when the offsite store is down or its network is gone.
 */

let s3: TestS3 | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await s3?.stop();
  s3 = undefined;
});

/** A files component backed up to `local` and to the offsite `s3`; returns how to run the CLI against it. */
async function backedUpToBoth(ws: Workspace) {
  s3 = await startS3();
  const bucket = await s3.bucket();
  // The CLI's S3 clients take credentials from the AWS default chain, as in production.
  for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
  await mkdir(join(ws.dir, 'etc'));
  await writeFile(join(ws.dir, 'etc', 'app.conf'), 'x = 1\n');
  await ws.writePlan(`version: 1
name: test
destinations:
  local: { type: fs, path: ${JSON.stringify(join(ws.dir, 'local'))}, medium: disk }
  s3: { type: s3, bucket: ${bucket}, region: ${s3.region}, endpoint: ${JSON.stringify(s3.endpoint)}, offsite: true }
rule321: { copies: 3, media: 2, offsite: 1 }
components:
  config:
    type: files
    paths: [${JSON.stringify(join(ws.dir, 'etc'))}]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [local, s3]
    drill: { target: ephemeral }
`);
  const env = { ...s3.env };
  const cli = (...args: string[]) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, env });
  expect((await cli('backup')).exitCode).toBe(0);
  // Verified and drilled while both answer, so nothing else stands between the status and "ok".
  expect((await cli('verify')).exitCode).toBe(0);
  expect((await cli('drill')).exitCode).toBe(0);
  const healthy = await cli('status', '--json');
  expect(healthy.exitCode).toBe(0);
  await s3.stop();
  s3 = undefined;
  return cli;
}

describe('a destination that cannot be read', () => {
  const ws = eachWorkspace();

  test('fault 11.7: verify exits 3 naming the stopped S3 destination as unreachable; --json says which and why', async () => {
    const cli = await backedUpToBoth(ws);
    const human = await cli('--log-format', 'human', 'verify');
    expect(human.exitCode).toBe(3);
    expect(human.stdout).toMatch(/✗ destination 's3' \(s3:\/\/[^)]+\), offsite, is unreachable, so the copies of config there were not verified: /);
    // The copy it could reach is still checked.
    expect(human.stdout).toMatch(/verified \S+ in local: sizes and sha256 match/);

    const json = await cli('verify', '--json');
    expect(json.exitCode).toBe(3);
    const copies = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(copies).toEqual([
      expect.objectContaining({ component: 'config', destination: 'local', reachable: true, ok: true }),
      { component: 'config', destination: 's3', reachable: false, ok: false, problems: [expect.stringMatching(/is unreachable, so the copies of config there were not verified: .+/)] },
    ]);
  });

  test('fault 11.7: status --json shows the destination unreachable with its reason, counts only reachable copies, and is not ok; the Prometheus metric is 0', async () => {
    const cli = await backedUpToBoth(ws);
    const prom = join(ws.dir, 'lifeboat.prom');
    const run = await cli('status', '--json', '--prometheus', prom);
    expect(run.exitCode).toBe(3);
    const [status] = JSON.parse(run.stdout) as Array<Record<string, any>>;
    expect(status!.health).toBe('warning');
    expect(status!.destinations).toEqual([
      { destination: 'local', reachable: true },
      { destination: 's3', reachable: false, reason: expect.any(String) },
    ]);
    expect(status!.compliance).toMatchObject({ copies: 2, media: 1, offsite: 0, ok: false, unreachable: ['s3'] });
    expect(status!.reasons).toContainEqual(expect.stringMatching(/^config's offsite copy in destination 's3' is unreachable and not counted: .+/));
    expect(status!.reasons).toContainEqual(expect.stringMatching(/0 offsite \('s3' unreachable, not counted\)$/));

    const text = await readFile(prom, 'utf8');
    expect(text).toContain('# TYPE lifeboat_destination_up gauge');
    expect(text).toContain('lifeboat_destination_up{plan="test",destination="local"} 1\n');
    expect(text).toContain('lifeboat_destination_up{plan="test",destination="s3"} 0\n');
    expect(text).toContain('lifeboat_health{plan="test",component="config",kind="files"} 1\n');

    const table = await cli('status');
    expect(table.exitCode).toBe(3);
    expect(table.stdout).toMatch(/config\s+WARNING\s+.*2-1-0 \(!\) s3 unreachable/);
  });
});
