import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob } from 'kubernetes-models/batch/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { eachWorkspace, lifeboat } from './test/harness.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const PLAN = path.join(REPO, 'apps/runner/src/test/plans/continuous.yaml');
const IMAGE = 'registry.example/lifeboat:1.0.0';

/**
 * The Kubernetes OpenAPI schemas (kubernetes-models: validators compiled with
 * ajv from the Kubernetes 1.3x OpenAPI spec) for the kinds the generator
 * writes; an object of another kind fails the test. Unknown fields are caught
 * at compile time instead: the generator builds its objects with the
 * kubernetes-types (1.30) interfaces, and typecheck refuses an excess property.
 */
function validateObject(object: { apiVersion?: string; kind?: string }): void {
  const models: Record<string, new (data: never) => { validate(): void }> = {
    'batch/v1 CronJob': CronJob,
    'apps/v1 Deployment': Deployment,
    'v1 ConfigMap': ConfigMap,
  };
  const Model = models[`${object.apiVersion} ${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

async function generatedFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) files.set(name, (await readFile(path.join(dir, name), 'utf8')).replaceAll(REPO, '/srv/lifeboat'));
  return files;
}

describe('lifeboat kubernetes generate', () => {
  const ws = eachWorkspace();
  const generate = (args: string[], plan = PLAN, env: Record<string, string> = {}) =>
    lifeboat(['--plan', plan, 'kubernetes', 'generate', '--image', IMAGE, ...args], { lockDir: ws.lockDir, env });

  it('the objects and the Dockerfile equal the golden files', async () => {
    const out = path.join(ws.dir, 'k8s');
    const run = await generate(['--namespace', 'backups', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const files = await generatedFiles(out);
    expect([...files.keys()]).toEqual([
      'Dockerfile',
      'configmap-lifeboat-plan.yaml',
      'cronjob-lifeboat-backup-analytics.yaml',
      'cronjob-lifeboat-backup-cache.yaml',
      'cronjob-lifeboat-backup-database.yaml',
      'cronjob-lifeboat-backup-uploads.yaml',
      'cronjob-lifeboat-doctor.yaml',
      'cronjob-lifeboat-drill.yaml',
      'cronjob-lifeboat-prune.yaml',
      'cronjob-lifeboat-status.yaml',
      'cronjob-lifeboat-verify.yaml',
      'deployment-lifeboat-wal-pusher-database.yaml',
    ]);
    for (const [name, text] of files) await expect(text).toMatchFileSnapshot(`./kubernetes/golden/continuous/${name}`);
  });

  it('every object passes the Kubernetes OpenAPI schema of its kind', async () => {
    const out = path.join(ws.dir, 'k8s');
    expect((await generate(['--out', out])).exitCode).toBe(0);
    const names = (await readdir(out)).filter((n) => n.endsWith('.yaml'));
    expect(names).toHaveLength(11);
    for (const name of names) {
      const object = parse(await readFile(path.join(out, name), 'utf8')) as { apiVersion: string; kind: string };
      expect(() => validateObject(object), name).not.toThrow();
    }
  });

  it('the schema check does fail on a wrong object (so the check above can fail)', async () => {
    const out = path.join(ws.dir, 'k8s');
    await generate(['--out', out]);
    const cronJob = parse(await readFile(path.join(out, 'cronjob-lifeboat-backup-database.yaml'), 'utf8'));
    expect(() => validateObject({ ...cronJob, spec: { ...cronJob.spec, concurrencyPolicy: 'Never' } })).toThrow(/concurrencyPolicy must be equal to one of the allowed values/);
    const deployment = parse(await readFile(path.join(out, 'deployment-lifeboat-wal-pusher-database.yaml'), 'utf8'));
    delete deployment.spec.selector;
    expect(() => validateObject(deployment)).toThrow(/spec must have required property .?selector/);
  });

  it('CronJobs: the plan cron and time zone, Forbid, deadlines from the timeouts and RTOs; the continuous component backs up on pitr.baseBackups', async () => {
    const run = await generate([]);
    expect(run.exitCode).toBe(0);
    const objects = parseAllDocuments(run.stdout).map((d) => d.toJS());
    const byName = new Map(objects.map((o) => [o.metadata.name as string, o]));
    expect([...byName.keys()].sort()).toEqual([
      'lifeboat-backup-analytics', 'lifeboat-backup-cache', 'lifeboat-backup-database', 'lifeboat-backup-uploads',
      'lifeboat-doctor', 'lifeboat-drill', 'lifeboat-plan', 'lifeboat-prune', 'lifeboat-status', 'lifeboat-verify', 'lifeboat-wal-pusher-database',
    ]);
    const database = byName.get('lifeboat-backup-database');
    expect(database.spec).toMatchObject({ schedule: '0 2 * * 0', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(database.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 43200 });
    expect(database.spec.jobTemplate.spec.template.spec.containers[0]).toMatchObject({ image: IMAGE, args: ['--plan', '/etc/lifeboat/lifeboat.yaml', 'backup', 'database'] });
    expect(byName.get('lifeboat-backup-cache').spec).toMatchObject({ schedule: '0 */6 * * *', startingDeadlineSeconds: 3600 });
    // Drills of database (4h) and cache (1h): twice their RTOs.
    expect(byName.get('lifeboat-drill').spec.jobTemplate.spec.activeDeadlineSeconds).toBe(2 * 5 * 3600);
    expect(byName.get('lifeboat-status').spec).toMatchObject({ schedule: '*/5 * * * *', startingDeadlineSeconds: 120 });
    expect(byName.get('lifeboat-status').spec.jobTemplate.spec.template.spec.containers[0].args).toEqual(['--plan', '/etc/lifeboat/lifeboat.yaml', 'status', '--notify']);
    expect(byName.get('lifeboat-prune').spec.jobTemplate.spec.template.spec.containers[0].args.slice(2)).toEqual(['prune', '--yes']);
    // The Dockerfile only with --out: stdout is for kubectl apply -f -.
    expect(run.stdout).not.toContain('FROM node:20-slim');
  });

  it('the WAL pusher is a one-replica Deployment (Recreate) running wal pusher --forever as postgres, on the spool claim', async () => {
    const run = await generate([]);
    const pusher = parseAllDocuments(run.stdout).map((d) => d.toJS()).find((o) => o.kind === 'Deployment');
    expect(pusher.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const pod = pusher.spec.template.spec;
    expect(pod).toMatchObject({ restartPolicy: 'Always', securityContext: { runAsUser: 999, runAsNonRoot: true } });
    expect(pod.containers[0].args).toEqual(['--plan', '/etc/lifeboat/lifeboat.yaml', 'wal', 'pusher', 'database', '--forever']);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'wal-pusher-0', mountPath: '/var/spool/lifeboat/database' });
    expect(pod.volumes).toContainEqual({ name: 'wal-pusher-0', persistentVolumeClaim: { claimName: 'lifeboat-wal-pusher-database' } });
  });

  it('secrets are references: env: from the lifeboat-env Secret, file: mounted from lifeboat-files; no value is ever written', async () => {
    const password = 'hunter2-never-printed';
    const run = await generate([], PLAN, { DATABASE_URL: `postgres://app:${password}@db/app`, ALERT_WEBHOOK: `https://hooks.example/${password}` });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain(password);
    const backup = parseAllDocuments(run.stdout).map((d) => d.toJS()).find((o) => o.metadata.name === 'lifeboat-backup-uploads');
    const container = backup.spec.jobTemplate.spec.template.spec.containers[0];
    for (const name of ['ALERT_WEBHOOK', 'ANALYTICS_URL', 'DATABASE_URL', 'REDIS_URL', 'STAGING_DATABASE_URL']) {
      expect(container.env).toContainEqual({ name, valueFrom: { secretKeyRef: { name: 'lifeboat-env', key: name } } });
    }
    expect(container.envFrom).toEqual([{ secretRef: { name: 'lifeboat-aws', optional: true } }]);
    expect(container.volumeMounts).toContainEqual({ name: 'secret-files', mountPath: '/etc/lifeboat/age.key', subPath: 'age.key', readOnly: true });
    expect(container.volumeMounts).toContainEqual({ name: 'destination-local', mountPath: '/var/backups/lifeboat' });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('refuses what a CronJob cannot do, one sentence each, exit 2, nothing written', async () => {
    const out = path.join(ws.dir, 'k8s');
    const civicq = await generate(['--out', out], path.join(REPO, 'examples/civicq.yaml'));
    expect(civicq.exitCode).toBe(2);
    expect(civicq.stderr).toBe(
      `lifeboat: ${path.join(REPO, 'examples/civicq.yaml')}: components.config.schedule is on-change, which a Kubernetes CronJob cannot watch (a pod does not see the host's files change); use a cron expression, or run this component with lifeboat systemd\n`,
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);

    await ws.writePlan(`version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
components:
  config: { type: files, paths: [./etc], schedule: "0 2 L * *", rpo: 31d, rto: 1h, destinations: [local] }
  logs: { type: files, paths: [./log], schedule: "0 3 * JUL WED", rpo: 400d, rto: 1h, destinations: [local] }
`);
    const last = await generate(['--out', out], ws.plan);
    expect(last.exitCode).toBe(2);
    expect(last.stderr).toBe(
      `lifeboat: ${ws.plan}: components.config.schedule "0 2 L * *" cannot be a Kubernetes CronJob schedule: it uses "L", which the CronJob controller's parser does not know; use numbers, names, ranges (a-b), lists and steps (*/n) only\n`,
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('the Dockerfile: node:20-slim, the release unpacked under /usr/local, client tools, an unprivileged user; servers only for ephemeral drills', async () => {
    const out = path.join(ws.dir, 'k8s');
    await generate(['--out', out]);
    const text = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(text).toContain('FROM node:20-slim\n');
    expect(text).toContain('apt-get install -y --no-install-recommends ca-certificates postgresql-client redis-tools postgresql redis-server');
    expect(text).toContain('ADD ${LIFEBOAT_TARBALL} /usr/local/\n');
    expect(text).toContain('USER 10001:10001\nENTRYPOINT ["/usr/local/bin/lifeboat"]\n');

    await ws.writePlan(`version: 1
name: t
destinations: { local: { type: fs, path: ./backups } }
components:
  cache: { type: redis, url: env:REDIS_URL, schedule: "0 3 * * *", rpo: 1d, rto: 1h, destinations: [local], drill: { target: env:STAGING_REDIS } }
`);
    const other = path.join(ws.dir, 'k8s-2');
    expect((await generate(['--out', other], ws.plan)).exitCode).toBe(0);
    expect(await readFile(path.join(other, 'Dockerfile'), 'utf8')).toContain('--no-install-recommends ca-certificates postgresql-client redis-tools \\\n');
  });
});
