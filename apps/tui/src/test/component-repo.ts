import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ec2Fake } from '@lifeboat/testkit';
import { backUp, planIn, TWO_FOLDERS } from './repo.js';

/** Hooks as the plan writes them (JSON is YAML). */
export interface Hooks {
  beforeRestore?: string[];
  afterRestore?: string[];
}

export type ComponentRepo = Awaited<ReturnType<typeof planIn>> & { dir: string; cleanup(): Promise<void> };

/** A plan with the one component `fields` describe (no PostgreSQL), in a temp folder, backed up once. */
async function componentRepo(name: string, fields: string, hooks: Hooks, env: Record<string, string | undefined>, dir?: string): Promise<ComponentRepo> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), 'lifeboat-tui-')));
  const opened = await planIn(
    folder,
    `version: 1
name: tui-test
destinations:
${TWO_FOLDERS}
components:
  ${name}:
${fields}
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [primary, mirror]
    hooks:
      beforeRestore: ${JSON.stringify(hooks.beforeRestore ?? [])}
      afterRestore: ${JSON.stringify(hooks.afterRestore ?? [])}
`,
    { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
  );
  await backUp(opened.engine, [name]);
  return { dir: folder, ...opened, cleanup: () => rm(folder, { recursive: true, force: true }) };
}

/** What the `config` files component backs up, besides the symlink `ssl/current` → cert.pem. */
export const APP_FILES: Record<string, string> = { 'app.conf': 'listen 8080\n', 'ssl/cert.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n' };

/** A `config` files component over `<dir>/live/app`: APP_FILES and a symlink. */
export async function filesRepo(hooks: Hooks = {}): Promise<ComponentRepo & { app: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-tui-'));
  const app = join(dir, 'live', 'app');
  await mkdir(join(app, 'ssl'), { recursive: true });
  for (const [name, text] of Object.entries(APP_FILES)) await writeFile(join(app, name), text);
  await symlink('cert.pem', join(app, 'ssl', 'current'));
  const repo = await componentRepo('config', '    type: files\n    paths: [./live/app]', hooks, {}, dir);
  return { ...repo, app };
}

/** A `cache` redis component whose url is env:REDIS_URL (given in `env`), backed up over replication. */
export function redisRepo(env: { REDIS_URL: string }, hooks: Hooks = {}): Promise<ComponentRepo> {
  return componentRepo('cache', '    type: redis\n    url: env:REDIS_URL', hooks, env);
}

/** A `system` ec2 component over an instance in the EC2 fake, imaged once (waits run against the fake's transitions). */
export async function ec2Repo(fake: Pick<Ec2Fake, 'addInstance' | 'endpoint' | 'credentials'>): Promise<ComponentRepo & { instanceId: string }> {
  const instanceId = fake.addInstance({
    instanceType: 'm5.large',
    subnetId: 'subnet-0tui',
    securityGroupIds: ['sg-0web'],
    keyName: 'ops',
    volumes: [{ device: '/dev/xvda', sizeGiB: 30 }],
  });
  const fields = `    type: ec2\n    instanceId: ${instanceId}\n    region: us-west-2\n    endpoint: ${fake.endpoint}\n    imageTimeout: 20s\n    launchTimeout: 20s`;
  const repo = await componentRepo('system', fields, {}, { AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.credentials.secretAccessKey });
  return { ...repo, instanceId };
}
