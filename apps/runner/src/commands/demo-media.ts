import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, loadPlan, type RestoreCheck } from '@lifeboat/core';
import { startS3VersionedFake, type S3VersionedFake } from '@lifeboat/ephemeral';
import { backup as runBackup, restore as runRestore, type OperationsContext } from '@lifeboat/operations';
import type { CommandContext } from '../main.js';

export interface MediaDemoInput {
  ctx: CommandContext;
  say: (line: string) => void;
  listener: OperationsContext['onEvent'];
  stops: Array<() => Promise<void>>;
}

const BUCKET = 'civicq-media';
const PHOTOS = 40;

/** The live keys of the fake's bucket and their contents. */
function liveKeys(fake: S3VersionedFake): Map<string, string> {
  const live = new Map<string, string>();
  const seen = new Set<string>();
  for (const v of fake.versions(BUCKET)) {
    if (seen.has(v.key)) continue;
    seen.add(v.key);
    if (!v.deleteMarker) live.set(v.key, v.body?.toString() ?? '');
  }
  return live;
}

/** A plan with one media component on the fake, checkpointed to an fs folder (the demo's, and the CLI tests'). */
export function mediaPlan(opts: { name: string; repo: string; bucket: string; fake: Pick<S3VersionedFake, 'region' | 'endpoint'> }): string {
  return `version: 1
name: ${opts.name}
destinations:
  checkpoints: { type: fs, path: ${JSON.stringify(opts.repo)}, medium: disk }
components:
  media:
    type: s3-bucket
    bucket: ${opts.bucket}
    region: ${opts.fake.region}
    endpoint: ${opts.fake.endpoint}
    versionRetention: 90d
    schedule: "0 * * * *"
    rpo: 1h
    rto: 1h
    destinations: [checkpoints]
`;
}

/**
 * The guide's media bucket with versioning on, on the S3 versioning FAKE (no
 * cloud): a checkpoint, then photos overwritten, deleted and added, then a
 * dry run and an in-place restore as of before the damage, compared key by key.
 */
export async function mediaDemo(input: MediaDemoInput): Promise<{ ok: boolean; checks: RestoreCheck[] }> {
  const { ctx, say } = input;
  const fake = await startS3VersionedFake();
  input.stops.push(() => fake.stop());
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-demo-media-'));
  input.stops.push(() => rm(dir, { recursive: true, force: true }));
  fake.createBucket(BUCKET, { versioning: 'Enabled' });
  const ago = (ms: number) => new Date(Date.now() - ms);
  for (let i = 0; i < PHOTOS; i++) fake.seed(BUCKET, `uploads/photo-${String(i).padStart(2, '0')}.jpg`, { body: `photo ${i}, as uploaded`, lastModified: ago(600_000 - i) });
  const before = liveKeys(fake);
  const asOf = ago(300_000).toISOString();
  say(`  the S3 versioning fake on ${fake.endpoint} (in memory, no cloud): s3://${BUCKET} with versioning on and ${PHOTOS} photos`);

  const planFile = join(dir, 'lifeboat.yaml');
  await writeFile(planFile, `# lifeboat demo: CivicQ's media bucket (written by lifeboat demo)\n${mediaPlan({ name: 'demo-media', repo: join(dir, 'checkpoints'), bucket: BUCKET, fake })}`, { mode: 0o600 });
  const plan = await loadPlan(planFile, ctx.registry);
  const engine: OperationsContext = { ...ctx.engine(plan), env: { ...ctx.environment.env, XDG_STATE_HOME: join(dir, 'state') }, onEvent: input.listener };
  const backup = await runBackup(engine, ['media']);
  if (backup.exitCode !== ExitCode.ok) return { ok: false, checks: [] };

  // The damage: a bad deploy overwrites some photos, a script deletes others, new uploads arrive.
  for (let i = 0; i < 5; i++) fake.seed(BUCKET, `uploads/photo-${String(i).padStart(2, '0')}.jpg`, { body: 'corrupted thumbnail', lastModified: ago(120_000 - i) });
  for (let i = 10; i < 16; i++) fake.seed(BUCKET, `uploads/photo-${String(i).padStart(2, '0')}.jpg`, { deleteMarker: true, lastModified: ago(110_000 - i) });
  for (let i = 0; i < 2; i++) fake.seed(BUCKET, `uploads/new-${i}.jpg`, { body: `uploaded after the checkpoint ${i}`, lastModified: ago(100_000 - i) });
  say(`  then 5 photos overwritten, 6 deleted, 2 new uploads; restoring s3://${BUCKET} as of ${asOf}, in place`);

  const dry = await runRestore(engine, { component: 'media' }, { clean: false, yes: false, options: { asOf, inPlace: true, dryRun: true, planFile: join(dir, 'plan.jsonl') } });
  for (const line of dry.report?.lines ?? []) say(`  ${line}`);
  const restored = await runRestore(engine, { component: 'media' }, { clean: false, yes: true, options: { asOf, inPlace: true } });

  const after = liveKeys(fake);
  const same = [...before].filter(([key, body]) => after.get(key) === body).length;
  const extra = [...after.keys()].filter((key) => !before.has(key)).length;
  const checks: RestoreCheck[] = [
    ...restored.checks,
    { name: `photos as they were at ${asOf}`, expected: before.size, actual: same, ok: same === before.size },
    { name: 'keys made after that time (now delete-marked)', expected: 0, actual: extra, ok: extra === 0 },
  ];
  return { ok: checks.every((c) => c.ok), checks };
}
