import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  ExitCode,
  LifeboatError,
  formatBytes,
  formatDuration,
  generateAgeIdentity,
  loadPlan,
  readCatalog,
  runCommand,
  type RestoreRequest,
} from '@lifeboat/core';
import { startEphemeralPostgres, startEphemeralRedis, startEphemeralS3 } from '@lifeboat/ephemeral';
import { backup as runBackup, drill as runDrill, prune as runPrune, restore as runRestore, type OperationsContext } from '@lifeboat/operations';
import { readStatus } from '@lifeboat/verify';
import type { CommandContext } from '../main.js';
import { pitrDemo } from './demo-pitr.js';
import { mediaDemo } from './demo-media.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

/**
 * The whole promise on one machine with no cloud: CivicQ's database, Redis and
 * config folder on throwaway servers, backed up — encrypted — to a local
 * folder and a loopback S3 server from one read each, the catalog read back
 * from both, everything restored and compared, a timed drill, the status and
 * a dry-run prune. Exit 0 only if every restore check and drill passed.
 */
export async function demoCommand(ctx: CommandContext): Promise<number> {
  const say = (line: string) => ctx.io.stdout.write(line + '\n');
  const listener = ctx.listener(true);
  const dir = resolve(ctx.environment.cwd, '.lifeboat-demo');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stops: Array<() => Promise<void>> = [];
  try {
    say('Starting throwaway servers: PostgreSQL, Redis, and an S3-protocol server (s3rver)…');
    const pg = await startEphemeralPostgres({ path: ctx.environment.env.PATH });
    stops.push(() => pg.stop());
    const redis = await startEphemeralRedis({ password: 'demo-redis-password', path: ctx.environment.env.PATH });
    stops.push(() => redis.stop());
    const s3 = await startEphemeralS3();
    stops.push(() => s3.stop());
    await s3.bucket('lifeboat-demo');
    // The AWS SDK reads credentials from the process environment (the default chain), as on a real server.
    Object.assign(process.env, s3.env);
    say(`  PostgreSQL ${pg.version} on :${pg.port}, Redis ${redis.version} on :${redis.port}, S3 on ${s3.endpoint}`);

    await loadDemoData(ctx, pg, redis.port);
    await writeConfigFolder(join(dir, 'civicq-config'));
    say('  loaded a CivicQ-like database, 2,000 Redis keys, and a config folder with .env.production and TLS files');

    const planFile = await writeDemoPlan(dir, s3.endpoint);
    say(`  the plan: ${planFile} (encrypted with the age key in ${join(dir, 'age.key')})\n`);
    const plan = await loadPlan(planFile, ctx.registry);
    const base = `postgres://postgres:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}`;
    // The demo runs every operation as the CLI's commands do (plan check, auto-prune, alerts, journal).
    const engine: OperationsContext = {
      ...ctx.engine(plan),
      // URLs with passwords travel in the environment, never argv.
      env: {
        ...ctx.environment.env,
        DEMO_DATABASE_URL: `${base}/civicq`,
        DEMO_RESTORE_URL: `${base}/civicq_restored`,
        DEMO_REDIS_URL: `redis://:demo-redis-password@127.0.0.1:${redis.port}`,
      },
      onEvent: listener,
    };

    const backup = await runBackup(engine, ['database', 'cache', 'config']);
    if (backup.exitCode !== ExitCode.ok) return backup.exitCode;

    say('\nThe catalog, read from the destinations themselves (latest of each component):');
    const catalog = await readCatalog(plan, ctx.registry);
    for (const component of ['database', 'cache', 'config']) {
      const entry = catalog.filter((e) => e.component === component).at(-1)!;
      const artifacts = entry.manifest.artifacts.map((a) => `${a.name} ${formatBytes(a.bytes)}`).join(', ');
      say(`  ${component.padEnd(9)} ${entry.id}  ${artifacts}  copies in: ${entry.destinations.join(' + ')}`);
    }
    say('');

    const restores: Array<[string, RestoreRequest]> = [
      ['database', { target: 'env:DEMO_RESTORE_URL', clean: true, yes: true, options: { jobs: 2 } }],
      ['cache', { target: 'ephemeral', clean: false, yes: false, options: {} }],
      ['config', { target: join(dir, 'restored-config'), clean: false, yes: true, options: {} }],
    ];
    const checks: Array<{ component: string; name: string; ok: boolean; expected: string | number; actual: string | number }> = [];
    for (const [component, request] of restores) {
      const restored = await runRestore(engine, { component }, request);
      checks.push(...restored.checks.map((c) => ({ component, ...c })));
    }
    say('\nWhat the restores checked, backup vs restored:');
    for (const c of checks) say(`  ${c.ok ? 'match ' : 'DIFFER'}  ${c.component.padEnd(9)} ${c.name}: ${c.expected} → ${c.actual}`);
    const allMatch = checks.length > 0 && checks.every((c) => c.ok);

    say('\nPoint-in-time recovery and a table-level restore (the guide\u2019s Scenario 3, accidental deletion):');
    const keyFile = join(dir, 'age.key');
    const recipient = /# public key: (age1\S+)/.exec(await readFile(keyFile, 'utf8'))![1]!;
    const pitr = await pitrDemo({ ctx, say, listener, keyFile, recipient, schemaFile: join(EXAMPLES, 'demo-schema.sql'), stops });
    say('\nWhat the point-in-time and table restores checked:');
    for (const c of pitr.checks) say(`  ${c.ok ? 'match ' : 'DIFFER'}  ${c.name}: ${c.expected} → ${c.actual}`);

    say('\nMedia bucket restored as of a time (S3 versioning, the guide\u2019s "Media Files"):');
    const media = await mediaDemo({ ctx, say, listener, stops });
    for (const c of media.checks) say(`  ${c.ok ? 'match ' : 'DIFFER'}  media     ${c.name}: ${c.expected} → ${c.actual}`);

    say('\nRestore drills (the guide\u2019s monthly test), timed:');
    const drill = await runDrill(engine, ['database', 'cache', 'config']);
    for (const r of drill.results) {
      say(`  ${r.component.padEnd(9)} RTO actual ${r.rtoActualMs === undefined ? 'n/a' : formatDuration(r.rtoActualMs)} against a target of ${formatDuration(r.rtoTargetMs)}${r.ok ? '' : ` — ${r.error}`}`);
    }

    say('\nStatus, read from the destinations (what `lifeboat status` prints):');
    for (const s of await readStatus(engine)) {
      say(`  ${s.component.padEnd(9)} ${s.health}; last backup ${s.lastBackup?.id ?? 'never'}, copies ${s.compliance.copies}-${s.compliance.media}-${s.compliance.offsite}`);
      for (const reason of s.reasons) say(`    ${s.severity ?? ''} ${reason}`);
    }

    say('\nRetention, as `lifeboat prune --dry-run` decides it (nothing is deleted):');
    await runPrune(engine, ['database'], { dryRun: true });

    const passed = allMatch && pitr.ok && media.ok && drill.exitCode === ExitCode.ok;
    say(
      passed
        ? `\nDemo passed: every restore matches its backup, the point-in-time and table restores brought back the deleted rows, the media bucket is back as of before the damage, and the drills measured the RTO.\nTry: lifeboat --plan ${planFile} list   (the S3 copy is gone with the demo's server; the local one stays)`
        : '\nDemo FAILED: see above.',
    );
    return passed ? ExitCode.ok : ExitCode.failed;
  } catch (err) {
    if (err instanceof LifeboatError) {
      ctx.io.stderr.write(`lifeboat demo: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

async function loadDemoData(ctx: CommandContext, pg: Awaited<ReturnType<typeof startEphemeralPostgres>>, redisPort: number): Promise<void> {
  const psql = (database: string, args: string[]) =>
    runCommand(join(pg.binDir, 'psql'), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--dbname=${database}`, ...args], {
      env: { ...ctx.environment.env, ...pg.env },
    });
  await psql('postgres', ['--command=CREATE DATABASE civicq']);
  await psql('civicq', [`--file=${join(EXAMPLES, 'demo-schema.sql')}`]);
  // Sessions, rate limits and queues, as CivicQ's Redis holds them: fed through redis-cli --pipe (RESP).
  const resp = (...words: string[]) => `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;
  const commands: string[] = [];
  for (let i = 0; i < 500; i++) {
    commands.push(resp('SET', `session:${i}`, JSON.stringify({ user: i, city: i % 60 })));
    commands.push(resp('HSET', `user:${i}`, 'name', `Citizen ${i}`, 'votes', String(i % 17)));
    commands.push(resp('ZADD', 'leaderboard', String(i % 97), `user:${i}`));
    commands.push(resp('SET', `ratelimit:${i}`, '1', 'EX', '86400'));
  }
  for (let i = 0; i < 499; i++) commands.push(resp('RPUSH', `queue:${i % 10}`, `job-${i}`));
  await runCommand('redis-cli', ['-p', String(redisPort), '--pipe'], {
    env: { ...ctx.environment.env, REDISCLI_AUTH: 'demo-redis-password' },
    input: Readable.from([commands.join('')]),
  });
}

/** The guide's config files, with fake secrets: the files component archives them, encrypted. */
async function writeConfigFolder(folder: string): Promise<void> {
  await mkdir(join(folder, 'nginx', 'ssl'), { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {
    '.env.production': 'DATABASE_URL=postgres://civicq@db:5432/civicq\nJWT_SECRET=demo-not-a-real-secret\n',
    'docker-compose.production.yml': 'services:\n  backend: { image: civicq/backend:1.0 }\n  postgres: { image: postgres:15 }\n  redis: { image: redis:7 }\n',
    'nginx/nginx.conf': 'server { listen 443 ssl; server_name civicq.org; }\n',
    'nginx/ssl/civicq.pem': '-----BEGIN CERTIFICATE-----\n(demo)\n-----END CERTIFICATE-----\n',
  };
  for (const [name, text] of Object.entries(files)) {
    if (!existsSync(join(folder, name))) await writeFile(join(folder, name), text, { mode: name.endsWith('.yml') || name.endsWith('.conf') ? 0o644 : 0o600 });
  }
}

/** examples/demo.yaml with this run's S3 port, absolute paths, and the demo's own age key (made once). */
async function writeDemoPlan(dir: string, endpoint: string): Promise<string> {
  const keyFile = join(dir, 'age.key');
  let recipient: string;
  if (existsSync(keyFile)) {
    recipient = /# public key: (age1\S+)/.exec(await readFile(keyFile, 'utf8'))![1]!;
  } else {
    const key = await generateAgeIdentity();
    recipient = key.recipient;
    await writeFile(keyFile, `# created: ${new Date().toISOString()}\n# public key: ${key.recipient}\n${key.identity}\n`, { mode: 0o600 });
  }
  const template = await readFile(join(EXAMPLES, 'demo.yaml'), 'utf8');
  const plan = template
    .replace(/age1q{58}/, recipient)
    .replace('http://127.0.0.1:4569', endpoint)
    .replaceAll('../.lifeboat-demo/', `${dir}/`);
  const file = join(dir, 'lifeboat.yaml');
  await writeFile(file, plan, { mode: 0o600 });
  return file;
}
