import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, loadPlan, runBackup, runCommand, type EngineContext, type Plan, type RunListener, type StorageType } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';
import { strategies } from '@lifeboat/strategies';
import type { TestDatabase, TestPostgres } from '@lifeboat/testkit';
import { createServices, type TuiServices } from '../services.js';

/** A small CivicQ-like schema: enough rows for the row-count checks to mean something, small enough to be quick. */
export const SCHEMA = `
CREATE TABLE cities (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (id bigserial PRIMARY KEY, city_id int NOT NULL REFERENCES cities(id), email text NOT NULL UNIQUE);
CREATE TABLE questions (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES users(id), body text NOT NULL);
INSERT INTO cities (name) SELECT 'City ' || g FROM generate_series(1, 12) g;
INSERT INTO users (city_id, email) SELECT 1 + g % 12, 'user' || g || '@example.org' FROM generate_series(1, 120) g;
INSERT INTO questions (author_id, body) SELECT 1 + g % 120, repeat('Why? ', 1 + g % 7) FROM generate_series(1, 300) g;
`;

/** The plan's default destinations: two fs folders beside the plan. */
export const TWO_FOLDERS = '  primary: { type: fs, path: ./repo/primary, medium: disk }\n  mirror:  { type: fs, path: ./repo/mirror, medium: disk }';

export const ROWS = { cities: 12, users: 120, questions: 300 } as const;

export interface DemoRepo {
  dir: string;
  planFile: string;
  plan: Plan;
  registry: Registry;
  env: Record<string, string | undefined>;
  lockDir: string;
  engine: (onEvent: RunListener) => EngineContext;
  services: TuiServices;
  /** The production database (the component's `url`). */
  source: TestDatabase;
  /** postgres://user:password@host:port/<name> on the test server: for env:NAME targets. */
  urlOf(database: string): string;
  cleanup(): Promise<void>;
}

export function psql(env: Record<string, string | undefined>, database: TestDatabase | { env: Record<string, string> }, sql: string): Promise<string> {
  return runCommand('psql', ['--no-psqlrc', '--quiet', '--tuples-only', '--no-align', '--set=ON_ERROR_STOP=1', `--command=${sql}`], {
    env: { ...env, ...database.env },
  }).then((r) => r.stdout.trim());
}

export function registry(extra: StorageType<never>[] = []): Registry {
  return new Registry({ strategies, storage: [fsStorageType as StorageType<never>, ...extra] });
}

/**
 * `plan` written to `dir`/lifeboat.yaml and loaded, with the engine and the
 * services the screens get. `selfCommand`: how the engine runs Lifeboat
 * again (restore_command of a restore to a point: the built runner).
 */
export async function planIn(dir: string, plan: string, env: Record<string, string | undefined>, storage: StorageType<never>[] = [], selfCommand?: readonly string[]) {
  const planFile = join(dir, 'lifeboat.yaml');
  await writeFile(planFile, plan, { mode: 0o644 });
  const reg = registry(storage);
  const loaded = await loadPlan(planFile, reg);
  const lockDir = join(dir, 'locks');
  const engine = (onEvent: RunListener): EngineContext => ({
    plan: loaded,
    registry: reg,
    env,
    lockDir,
    toolVersion: '0.0.0-test',
    onEvent,
    ...(selfCommand ? { selfCommand } : {}),
  });
  return { planFile, plan: loaded, registry: reg, env, lockDir, engine, services: createServices({ plan: loaded, engine, registry: reg, env, version: '0.0.0-test' }) };
}

/** Backs the components up `times` times with core's runBackup, as a schedule would. */
export async function backUp(engine: (onEvent: RunListener) => EngineContext, components: string[], times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    const { exitCode } = await runBackup(engine(() => undefined), components);
    if (exitCode !== 0) throw new Error(`the test backup failed with exit ${exitCode}`);
  }
}

export interface RepoOptions {
  /** How many backups to take before the test starts (default 1). */
  backups?: number;
  /** Extra top-level plan YAML (runbooks…). */
  planExtra?: string;
  /** The plan's destinations block (default: primary and mirror, two fs folders). */
  destinations?: string;
  /** The component's destinations (default: primary, mirror). */
  componentDestinations?: string[];
  /** Storage types besides fs. */
  storage?: StorageType<never>[];
}

/**
 * What `lifeboat demo` leaves behind, made in a temp folder: a plan with one
 * postgres component on a real server, two fs destinations, and `backups`
 * backups taken with core's runBackup.
 */
export async function demoRepo(pg: TestPostgres, opts: RepoOptions = {}): Promise<DemoRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-tui-'));
  const source = await pg.createDatabase();
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  await psql(base, source, SCHEMA);
  const urlOf = (database: string) => `postgres://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${database}`;
  const env = { ...base, TUI_DATABASE_URL: urlOf(source.name) };
  const opened = await planIn(
    dir,
    `version: 1
name: tui-test
destinations:
${opts.destinations ?? TWO_FOLDERS}
components:
  database:
    type: postgres
    url: env:TUI_DATABASE_URL
    format: custom
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [${(opts.componentDestinations ?? ['primary', 'mirror']).join(', ')}]
    verify: { tables: [cities, users, questions] }
    drill: { target: ephemeral }
    hooks:
      beforeRestore: ["echo stopping the services"]
      afterRestore: ["echo starting the services"]
${opts.planExtra ?? ''}`,
    env,
    opts.storage,
  );
  await backUp(opened.engine, ['database'], opts.backups ?? 1);
  return {
    dir,
    ...opened,
    source,
    urlOf,
    cleanup: async () => {
      await source.drop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A plan and its services without any server or backup: for screens over
 * empty, slow or broken storage. `moreComponents` is YAML for components
 * besides `database`.
 */
export async function planOnly(destinations: string, storage: StorageType<never>[] = [], componentDestinations = ['primary'], moreComponents = '') {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-tui-'));
  const { plan, services } = await planIn(
    dir,
    `version: 1
name: storage-test
destinations:
${destinations}
components:
  database:
    type: postgres
    url: env:TUI_DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [${componentDestinations.join(', ')}]
${moreComponents}`,
    { PATH: process.env.PATH },
    storage,
  );
  return {
    dir,
    plan,
    services,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
