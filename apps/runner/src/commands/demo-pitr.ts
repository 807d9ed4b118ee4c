import { chown, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, LifeboatError, loadPlan, runCommand, type RestoreCheck } from '@lifeboat/core';
import { postgresServerOwner, startEphemeralPostgres, type EphemeralPostgres } from '@lifeboat/ephemeral';
import { backup as runBackup, restore as runRestore, type OperationsContext } from '@lifeboat/operations';
import pg from 'pg';
import type { CommandContext } from '../main.js';

/** How long the demo waits for PostgreSQL's archiver to hand a segment to `lifeboat wal push`. */
const ARCHIVE_DEADLINE_MS = 120_000;

export interface PitrDemoInput {
  ctx: CommandContext;
  say: (line: string) => void;
  listener: OperationsContext['onEvent'];
  /** The demo's age key file and recipient (the same key encrypts the WAL). */
  keyFile: string;
  recipient: string;
  schemaFile: string;
  stops: Array<() => Promise<void>>;
}

export interface PitrDemoResult {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; expected: string | number; actual: string | number }>;
}

/**
 * The guide's Scenario 3 on a server that archives its WAL with `lifeboat wal
 * push`: a base backup, rows written after it, an accidental DELETE, then a
 * restore to the moment before the DELETE into a throwaway server, and a
 * table-level restore that copies back exactly the deleted rows. Its plan and
 * archive live in a temporary folder the server's OS user owns (archive_command
 * runs as that user), removed at the end.
 */
export async function pitrDemo(input: PitrDemoInput): Promise<PitrDemoResult> {
  const { ctx, say } = input;
  const self = ctx.environment.selfCommand;
  if (!self) throw new LifeboatError('the demo cannot tell how to run this lifeboat for archive_command (no script path)');
  const owner = await postgresServerOwner();
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-demo-pitr-'));
  input.stops.push(() => rm(dir, { recursive: true, force: true }));
  // restore_command (lifeboat wal get) runs as the server's OS user and reads the identity.
  const keyFile = join(dir, 'age.key');
  await copyFile(input.keyFile, keyFile);
  const planFile = join(dir, 'lifeboat.yaml');
  await writeFile(planFile, pitrPlan(dir, input.recipient, keyFile), { mode: 0o600 });
  if (owner) for (const path of [dir, keyFile, planFile]) await chown(path, owner.uid, owner.gid);

  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const server = await startEphemeralPostgres({
    path: ctx.environment.env.PATH,
    settings: {
      archive_mode: 'on',
      archive_command: `${self.map(quote).join(' ')} --plan ${quote(planFile)} wal push database %p`,
    },
  });
  input.stops.push(() => server.stop());
  say(`  a second PostgreSQL ${server.version} on :${server.port} archives every WAL segment with lifeboat wal push (plan: ${planFile})`);
  await runCommand(join(server.binDir, 'psql'), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--dbname=postgres', '--command=CREATE DATABASE civicq'], {
    env: { ...ctx.environment.env, ...server.env },
  });
  await runCommand(join(server.binDir, 'psql'), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--dbname=civicq', `--file=${input.schemaFile}`], {
    env: { ...ctx.environment.env, ...server.env },
  });

  const plan = await loadPlan(planFile, ctx.registry);
  const url = `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/civicq`;
  const engine: OperationsContext = { ...ctx.engine(plan), env: { ...ctx.environment.env, DEMO_PITR_URL: url }, onEvent: input.listener };
  const sql = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  // The server's OS user makes the archive's folders with its first push, as on a host where archive_command
  // runs before the first base backup (a folder made by root first would refuse its writes).
  await waitArchived(server, sql);
  const backup = await runBackup(engine, ['database']);
  if (backup.exitCode !== ExitCode.ok) return { ok: false, checks: [] };
  // Work after the base backup: only the WAL archive holds it.
  await sql("INSERT INTO answers (question_id, author_id, body, created_at) SELECT q.id, q.author_id, 'written after the backup ' || q.id, now() FROM questions q WHERE q.id % 4 = 0");
  const before = Number((await sql<{ n: string }>('SELECT count(*) AS n FROM answers'))[0]!.n);
  const t = (await sql<{ t: string }>("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
  const deleted = (await sql('DELETE FROM answers WHERE id % 3 = 0 RETURNING id')).length;
  const after = before - deleted;
  say(`  ${before} answers (some written after the base backup); at ${t} an accidental DELETE removes ${deleted} of them`);
  await waitArchived(server, sql);

  say(`\n  lifeboat restore database --to-time "${t}" --to ephemeral`);
  const point = await runRestore(engine, { component: 'database' }, { target: 'ephemeral', clean: false, yes: false, options: { toTime: t } });
  const atPoint = pointRows(point.checks, 'answers');

  say(`\n  lifeboat restore database --table public.answers --as-of "${t}" --into env:DEMO_PITR_URL --copy-missing-rows --yes`);
  const tables = await runRestore(engine, { component: 'database' }, {
    clean: false,
    yes: true,
    options: { table: ['public.answers'], asOf: t, into: 'env:DEMO_PITR_URL', copyMissingRows: true },
  });
  for (const line of tables.report?.lines ?? []) say(`    ${line}`);
  const restored = Number((await sql<{ n: string }>('SELECT count(*) AS n FROM answers'))[0]!.n);

  const checks = [
    { name: 'answers at the point (restore --to-time)', expected: before, actual: atPoint ?? 'not reported', ok: atPoint === before },
    { name: 'answers in live after --copy-missing-rows', expected: before, actual: restored, ok: restored === before },
    { name: 'answers deleted, then copied back', expected: deleted, actual: restored - after, ok: restored - after === deleted },
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

/** The row count a restore to a point reported for `table` (`rows in answers …`). */
function pointRows(checks: RestoreCheck[], table: string): number | undefined {
  const found = checks.find((c) => c.name.startsWith(`rows in ${table}`) || c.name === table);
  return found === undefined ? undefined : Number(found.actual);
}

/** Closes the current segment and waits, with a deadline, until PostgreSQL's archiver has handed it to lifeboat wal push. */
async function waitArchived(server: EphemeralPostgres, sql: <T extends pg.QueryResultRow>(text: string) => Promise<T[]>): Promise<void> {
  const file = (await sql<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file'))[0]!.file;
  const deadline = Date.now() + ARCHIVE_DEADLINE_MS;
  for (;;) {
    const [row] = await sql<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
    if (row?.last && row.last >= file) return;
    if (Date.now() > deadline) throw new LifeboatError(`PostgreSQL on :${server.port} did not archive ${file} within ${ARCHIVE_DEADLINE_MS / 1000}s (see its log)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function pitrPlan(dir: string, recipient: string, keyFile: string): string {
  return `# lifeboat demo: CivicQ's database with point-in-time recovery (written by lifeboat demo)
version: 1
name: demo-pitr
destinations:
  archive: { type: fs, path: ${join(dir, 'archive')}, medium: disk }
encryption:
  recipients: [${recipient}]
  identity: file:${keyFile}
components:
  database:
    type: postgres
    url: env:DEMO_PITR_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [archive]
    verify:
      tables: [cities, users, questions, answers]
    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }
`;
}
