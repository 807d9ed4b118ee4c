import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ExitCode,
  LifeboatError,
  loadPlan,
  readCatalog,
  runBackup,
  runCommand,
  runRestore,
  runPrune,
  startEphemeralPostgres,
  formatDuration,
  type EngineContext,
} from '@lifeboat/core';
import { readStatus, runDrill } from '@lifeboat/verify';
import type { CommandContext } from '../main.js';
import { catalogJson } from './list.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

/**
 * The whole promise on one machine with no cloud: a throwaway PostgreSQL with
 * a CivicQ-like schema, a backup to two local folders, the catalog read back,
 * a restore into a fresh database, and the row counts compared. Exit 0 only if
 * every count matches.
 */
export async function demoCommand(ctx: CommandContext): Promise<number> {
  const say = (line: string) => ctx.io.stdout.write(line + '\n');
  const listener = ctx.listener(true);
  say('Starting a throwaway PostgreSQL…');
  const server = await startEphemeralPostgres({ path: ctx.environment.env.PATH });
  try {
    say(`  PostgreSQL ${server.version} on 127.0.0.1:${server.port}`);
    const psql = (database: string, args: string[]) =>
      runCommand(join(server.binDir, 'psql'), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--dbname=${database}`, ...args], {
        env: { ...ctx.environment.env, ...server.env },
      });
    await psql('postgres', ['--command=CREATE DATABASE civicq']);
    await psql('civicq', [`--file=${join(EXAMPLES, 'demo-schema.sql')}`]);
    say('  loaded a CivicQ-like schema into database civicq (cities, users, questions, answers)\n');

    const base = `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}`;
    const plan = await loadPlan(join(EXAMPLES, 'demo.yaml'), ctx.registry);
    const engine: EngineContext = {
      ...ctx.engine(plan),
      // The URLs carry the password, so they travel in the environment, never argv.
      env: { ...ctx.environment.env, DEMO_DATABASE_URL: `${base}/civicq`, DEMO_RESTORE_URL: `${base}/civicq_restored` },
      onEvent: listener,
    };

    const backup = await runBackup(engine, ['database']);
    if (backup.exitCode !== ExitCode.ok) return backup.exitCode;

    say(`\nThe catalog, read from the destinations (${plan.dir}/../.lifeboat-demo):`);
    const catalog = catalogJson(await readCatalog(plan, ctx.registry, { component: 'database' }));
    for (const entry of catalog.slice(-3)) say(`  ${entry.id}  ${entry.bytes} bytes  in ${entry.destinations.join(', ')}`);
    say('');

    const restored = await runRestore(engine, { component: 'database' }, { target: 'env:DEMO_RESTORE_URL', inPlace: false, clean: true, yes: true, jobs: 2 });
    say('\nRow counts, backup vs restored database:');
    for (const check of restored.checks) say(`  ${check.ok ? 'match' : 'DIFFER'}  ${check.name}: ${check.expected} → ${check.actual}`);
    const allMatch = restored.checks.length > 0 && restored.checks.every((c) => c.ok);

    say('\nA restore drill (the guide\u2019s monthly test), timed:');
    const drill = await runDrill(engine, ['database']);
    for (const r of drill.results) {
      say(`  RTO actual ${r.rtoActualMs === undefined ? 'n/a' : formatDuration(r.rtoActualMs)} against a target of ${formatDuration(r.rtoTargetMs)}${r.ok ? '' : ` — ${r.error}`}`);
    }

    say('\nStatus, read from the destinations (what `lifeboat status` prints):');
    const statuses = await readStatus(engine);
    for (const s of statuses) {
      say(`  ${s.component}: ${s.health}; last backup ${s.lastBackup?.id ?? 'never'}, copies ${s.compliance.copies}-${s.compliance.media}-${s.compliance.offsite}`);
      for (const reason of s.reasons) say(`    ${s.severity ?? ''} ${reason}`);
    }

    say('\nRetention, as `lifeboat prune --dry-run` decides it (nothing is deleted):');
    await runPrune(engine, ['database'], { dryRun: true });

    const passed = allMatch && drill.exitCode === ExitCode.ok;
    say(passed ? '\nDemo passed: the backup restores, every count matches, and the drill measured the RTO.' : '\nDemo FAILED: see above.');
    return passed ? ExitCode.ok : ExitCode.failed;
  } catch (err) {
    if (err instanceof LifeboatError) {
      ctx.io.stderr.write(`lifeboat demo: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    await server.stop();
  }
}
