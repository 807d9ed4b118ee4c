import { join } from 'node:path';
import { formatBytes, manifestBytes, type CatalogEntry } from '@lifeboat/core';
import { drillPlace, planPaths, productionTarget, type Chosen, type Component } from './targets.js';

export interface PlanInput {
  component: string;
  entry: Component;
  backup: CatalogEntry;
  target: Chosen;
  clean: boolean;
}

/** The lines of one kind of restore, between the plan's hooks; `after` comes after the afterRestore hooks. */
interface Body {
  restore: string[];
  after?: string[];
}

/**
 * Exactly what the restore will do, in order, as sentences: the person
 * reads this before anything is touched. Each line says what the engine and
 * the component's strategy do for this target, nothing more.
 */
export function restorePlan(input: PlanInput): string[] {
  const { entry, target } = input;
  if (target.kind === 'drill') return drillLines(input);
  const body = entry.type === 'redis' ? redisLines(input) : entry.type === 'files' ? filesLines(input) : databaseLines(input);
  return [...beforeHooks(entry, target), ...body.restore, ...afterHooks(entry), ...(body.after ?? [])];
}

function beforeHooks(entry: Component, target: Chosen): string[] {
  if (entry.hooks.beforeRestore.length > 0) return entry.hooks.beforeRestore.map((c) => `run beforeRestore: ${c}`);
  // A running Redis writes its own dataset over dump.rdb when it shuts down.
  if (target.kind === 'dataDir') return [`no beforeRestore hooks in the plan: stop the Redis that loads ${target.value} yourself first, or it writes its own data over dump.rdb when it stops`];
  return ['no beforeRestore hooks in the plan'];
}

function afterHooks(entry: Component): string[] {
  return entry.hooks.afterRestore.length > 0
    ? entry.hooks.afterRestore.map((c) => `then, only if every check passes, run afterRestore: ${c}`)
    : ['no afterRestore hooks in the plan'];
}

const source = (backup: CatalogEntry) => `backup ${backup.id} (${formatBytes(manifestBytes(backup.manifest))}, from ${backup.destinations[0]})`;

const liveSuffix = (input: PlanInput) => (input.target.kind === 'production' || input.target.kind === 'inPlace' ? ` — PRODUCTION, the live ${input.component}` : '');

/** What the post-restore checks compare, from what the backup recorded. */
function checksLine(entry: Component, backup: CatalogEntry): string {
  const facts = backup.manifest.facts;
  if (entry.type === 'redis') {
    const keys = redisKeys(backup);
    return keys ? `compare the key counts recorded at backup time (${keys})` : 'run the checks the backup recorded';
  }
  if (entry.type === 'files') {
    const counted = (key: string, noun: string) => (typeof facts[key] === 'number' ? [`${facts[key]} ${noun}`] : []);
    const bytes = typeof facts.bytes === 'number' ? [formatBytes(facts.bytes)] : [];
    const what = [...counted('files', 'files'), ...bytes, ...counted('directories', 'folders'), ...counted('symlinks', 'symlinks')];
    return what.length > 0 ? `compare what is on disk with what the backup recorded (${what.join(', ')})` : 'run the checks the backup recorded';
  }
  const tables = Object.keys((facts.tables as Record<string, number> | undefined) ?? {});
  return tables.length > 0 ? `compare the row counts recorded at backup time (${tables.join(', ')})` : 'run the checks the backup recorded';
}

/** `3 keys in db0, 2 in db1`, or undefined when the backup recorded none. */
function redisKeys(backup: CatalogEntry): string | undefined {
  const keys = Object.entries((backup.manifest.facts.keys as Record<string, number> | undefined) ?? {});
  if (keys.length === 0) return undefined;
  return keys.map(([db, n], i) => `${n}${i === 0 ? ' keys' : ''} in ${db}`).join(', ');
}

function drillLines(input: PlanInput): string[] {
  const { entry, backup, target } = input;
  const scratch = target.value === 'ephemeral' || entry.type === 'redis';
  const kept = entry.type === 'files' && !scratch;
  const where = `${drillPlace(entry, target.value)}${scratch ? (entry.type === 'files' ? ' made for this' : ' started for this') : ''}`;
  return [
    `restore ${source(backup)} into the drill target: ${where}; never production`,
    checksLine(entry, backup),
    entry.drill?.healthCheck ? `run the health check: ${entry.drill.healthCheck}` : 'no health check in the plan (drill.healthCheck)',
    `${kept ? 'leave the folder for inspection' : 'remove the scratch target'}; the run goes into the journal as a drill with its RTO actual`,
    'no hooks run: a drill leaves the services alone',
  ];
}

/** postgres, and kinds the wizard knows nothing special about: one `--to`, and `--clean`. */
function databaseLines(input: PlanInput): Body {
  const { entry, backup, target, clean } = input;
  const postgres = entry.type === 'postgres';
  return {
    restore: [
      `restore ${source(backup)} into ${target.value}${liveSuffix(input)}`,
      postgres
        ? clean
          ? 'clean is ON: if the database holds tables, DROP it and create it again (all its data is lost)'
          : 'clean is off: a database that already holds tables is refused, nothing is dropped'
        : clean
          ? 'clean is ON: what the target holds is removed first'
          : 'clean is off: a target that already holds data is refused',
      checksLine(entry, backup),
    ],
  };
}

/** What loading over replication does to the server besides loading the data (the strategy's `loadOverReplication`). */
const REPLICATION_LINES = [
  'the server becomes a replica of Lifeboat for one full sync (REPLICAOF this host on a random port), then a master again (REPLICAOF NO ONE); meanwhile it refuses writes (replica-read-only, the default) and answers LOADING while it loads',
  'it must be able to connect back to this host on that port, at the address it sees Lifeboat at: a firewall, or a server in another network or container, makes the sync fail',
  'its masterauth is set to a one-time token for the sync, so only it can take the data from that port, and its own value is put back afterwards',
  'a sync that fails halfway still makes it a master again with its own masterauth, but can leave its dataset empty or partial',
];

function redisLines(input: PlanInput): Body {
  const { component, entry, backup, target, clean } = input;
  const checks = checksLine(entry, backup);
  switch (target.kind) {
    case 'dataDir': {
      const url = productionTarget(entry) ?? "the plan's url";
      const keys = redisKeys(backup);
      const live =
        entry.hooks.afterRestore.length > 0
          ? `then check the server at ${url}: it must have started after dump.rdb was written and hold the keys the backup recorded${keys ? ` (${keys})` : ''}`
          : `no afterRestore hooks start a server on ${target.value}, so no server is checked afterwards`;
      return {
        restore: [
          `write ${source(backup)} to ${join(target.value, 'dump.rdb')} atomically (a temporary file renamed over it), replacing the dump.rdb there if there is one — PRODUCTION, the data of the live ${component}`,
          target.owner
            ? `dump.rdb belongs to ${target.owner.uid}:${target.owner.gid} (--owner; giving it to another user needs Lifeboat to run as root), with the mode of the file it replaces, else 0600`
            : "dump.rdb keeps the owner of the file it replaces, else the folder's, when Lifeboat runs as root (otherwise it belongs to the user running Lifeboat); the mode of the file it replaces, else 0600",
          `check the written file: its CRC64, and the keys it holds against the backup's`,
        ],
        after: [live],
      };
    }
    case 'ephemeral':
      return {
        restore: [`load ${source(backup)} into a throwaway local redis-server started for this; no server of yours is touched`, checks, 'stop the throwaway server and remove it'],
      };
    default:
      return {
        restore: [
          `load ${source(backup)} into the running server ${target.value} over replication${liveSuffix(input)}`,
          clean
            ? "clean is ON: the full sync replaces the server's whole dataset, every key in every database, with the backup's (all its data is lost)"
            : 'clean is off: a server that already holds keys is refused, nothing is replaced',
          ...REPLICATION_LINES,
          `check the RDB's CRC64 before anything reaches the server, then ${checks}`,
        ],
      };
  }
}

function filesLines(input: PlanInput): Body {
  const { entry, backup, target } = input;
  const checks = checksLine(entry, backup);
  const recorded = backup.manifest.facts.paths;
  const paths = Array.isArray(recorded) && recorded.length > 0 ? (recorded as string[]) : planPaths(entry);
  if (target.kind === 'inPlace') {
    const shown = paths.length > 5 ? `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more` : paths.join(', ');
    return {
      restore: [
        `overwrite the original paths with ${source(backup)}: ${shown || 'as the backup recorded them'}${liveSuffix(input)}`,
        'the archive is downloaded and verified first, so a damaged backup touches nothing; files there now that the backup does not hold are left alone',
        checks,
      ],
    };
  }
  const example = paths[0] ? ` (e.g. ${join(target.value, paths[0])})` : '';
  return {
    restore: [
      `extract ${source(backup)} into ${target.value} (made if missing), each file under its original path${example}`,
      "nothing is overwritten: if the folder already holds any of the backup's paths, the restore is refused",
      checks,
    ],
  };
}
