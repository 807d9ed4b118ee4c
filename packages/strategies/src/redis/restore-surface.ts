import { join } from 'node:path';
import type { Manifest, RestoreDescribeInput, RestoreDescription, RestoreOptionValues, RestoreSurface } from '@lifeboat/core';
import type { RedisConfig } from './config.js';

/** The --to of a restore into a throwaway redis-server (and a drill's target). */
export const EPHEMERAL = 'ephemeral';

const OPTIONS = [
  { name: 'toDir', type: 'path', valueName: 'dir', description: 'the data folder to write dump.rdb into, between the plan\u2019s beforeRestore/afterRestore hooks' },
  { name: 'owner', type: 'owner', valueName: 'uid:gid', description: 'owner of the dump.rdb --to-dir writes (numeric)' },
] as const;

/** What `request.options` holds for a redis restore (checked by the engine against `OPTIONS`). */
export type RedisRestoreOptions = RestoreOptionValues<typeof OPTIONS>;

/**
 * Three ways back: dump.rdb into the live server's data folder (`--to-dir`),
 * a running server loaded over replication (`--to redis://…`), or a
 * throwaway redis-server (`--to ephemeral`).
 */
export const redisRestoreSurface: RestoreSurface<RedisConfig> = {
  to: { description: `a running server to load over replication (empty, or --clean --yes), with --to-dir the server to check after afterRestore, or "${EPHEMERAL}"` },
  clean: 'every key of the server --to redis://… names',
  options: OPTIONS,
  examples: [
    '  $ lifeboat restore redis --to-dir /opt/civicq/data/redis --owner 999:999 --yes',
    '      beforeRestore stops Redis, dump.rdb is written, afterRestore starts it; then the server at the',
    '      plan\u2019s url must have restarted and hold the backup\u2019s keys per database',
    '  $ lifeboat restore redis --to-dir /srv/redis-b/data --to env:REDIS_B_URL --yes',
    '      the same, when the server that loads that folder is not the plan\u2019s url (without hooks,',
    '      no server is checked unless --to names one)',
    '  $ lifeboat restore redis --to redis://127.0.0.1:6390',
    '      load it into a running, empty server: Lifeboat acts as its replication master for one full',
    '      sync, then REPLICAOF NO ONE; a server holding keys needs --clean --yes',
    `  $ lifeboat restore redis --to ${EPHEMERAL}`,
  ],
  production: (config) => config.url,
  targets(config) {
    return [
      ...(config.drill
        ? []
        : [{ kind: 'ephemeral', label: `a throwaway redis-server (--to ${EPHEMERAL}), removed afterwards`, set: { to: EPHEMERAL }, headline: () => 'restore into a throwaway redis-server' }]),
      {
        kind: 'dataDir',
        label: "production: write dump.rdb into the server's data folder (type it)",
        production: true,
        headline: (chosen) => `PRODUCTION restore: dump.rdb into ${chosen.value}`,
        fields: [
          {
            into: 'toDir',
            name: 'data folder',
            ask: 'the folder the Redis server loads dump.rdb from',
            example: '/var/lib/redis',
            hint: "the server's dir setting (where its dump.rdb is); an existing dump.rdb there is replaced",
          },
          {
            into: 'owner',
            name: 'owner (UID:GID, or empty)',
            title: 'owner of dump.rdb',
            ask: 'the owner',
            example: '999:999',
            empty: "keep the replaced file's owner",
            hint: (chosen) =>
              `numeric, as the server runs (999:999 in the official image); empty: run as root, the file keeps the owner of the dump.rdb in ${chosen.value}, else the folder's; otherwise it is yours`,
          },
        ],
      },
      {
        kind: 'typed',
        label: 'a running server: type redis://HOST:PORT or env:NAME (full sync)',
        clean: true,
        fields: [
          {
            into: 'to',
            name: 'server',
            ask: 'the server to load it into',
            example: 'redis://127.0.0.1:6390',
            hint: 'a running Redis, loaded as its master for one full sync: redis://HOST:PORT, or env:NAME holding a URL with its password (never typed here); it must be empty unless clean is on',
          },
        ],
      },
    ];
  },
  // A drill always loads a throwaway redis-server (prepareRedisDrill).
  drill: () => ({ place: 'a throwaway redis-server', fresh: 'started' }),
  checks(manifest) {
    const keys = keyCounts(manifest);
    return keys ? `compare the key counts recorded at backup time (${keys})` : 'run the checks the backup recorded';
  },
  describe,
};

/** `3 keys in db0, 2 in db1`, or undefined when the backup recorded none. */
function keyCounts(manifest: Manifest): string | undefined {
  const keys = Object.entries((manifest.facts.keys as Record<string, number> | undefined) ?? {});
  if (keys.length === 0) return undefined;
  return keys.map(([db, n], i) => `${n}${i === 0 ? ' keys' : ''} in ${db}`).join(', ');
}

/** What loading over replication does to the server besides loading the data (`loadOverReplication`). */
const REPLICATION_LINES = [
  'the server becomes a replica of Lifeboat for one full sync (REPLICAOF this host on a random port), then a master again (REPLICAOF NO ONE); meanwhile it refuses writes (replica-read-only, the default) and answers LOADING while it loads',
  'it must be able to connect back to this host on that port, at the address it sees Lifeboat at: a firewall, or a server in another network or container, makes the sync fail',
  'its masterauth is set to a one-time token for the sync, so only it can take the data from that port, and its own value is put back afterwards',
  'a sync that fails halfway still makes it a master again with its own masterauth, but can leave its dataset empty or partial',
];

function describe(input: RestoreDescribeInput<RedisConfig>): RestoreDescription {
  const { component, config, manifest, source, chosen, clean, live } = input;
  const checks = redisRestoreSurface.checks(manifest);
  switch (chosen.kind) {
    case 'dataDir': {
      const keys = keyCounts(manifest);
      const owner = chosen.owner as { uid: number; gid: number } | undefined;
      return {
        // A running Redis writes its own dataset over dump.rdb when it shuts down.
        withoutBeforeHooks: `no beforeRestore hooks in the plan: stop the Redis that loads ${chosen.value} yourself first, or it writes its own data over dump.rdb when it stops`,
        restore: [
          `write ${source} to ${join(chosen.value, 'dump.rdb')} atomically (a temporary file renamed over it), replacing the dump.rdb there if there is one — PRODUCTION, the data of the live ${component}`,
          owner
            ? `dump.rdb belongs to ${owner.uid}:${owner.gid} (--owner; giving it to another user needs Lifeboat to run as root), with the mode of the file it replaces, else 0600`
            : "dump.rdb keeps the owner of the file it replaces, else the folder's, when Lifeboat runs as root (otherwise it belongs to the user running Lifeboat); the mode of the file it replaces, else 0600",
          `check the written file: its CRC64, and the keys it holds against the backup's`,
        ],
        after: [
          config.hooks.afterRestore.length > 0
            ? `then check the server at ${config.url}: it must have started after dump.rdb was written and hold the keys the backup recorded${keys ? ` (${keys})` : ''}`
            : `no afterRestore hooks start a server on ${chosen.value}, so no server is checked afterwards`,
        ],
      };
    }
    case 'ephemeral':
      return { restore: [`load ${source} into a throwaway local redis-server started for this; no server of yours is touched`, checks, 'stop the throwaway server and remove it'] };
    default:
      return {
        restore: [
          `load ${source} into the running server ${chosen.value} over replication${live}`,
          clean
            ? "clean is ON: the full sync replaces the server's whole dataset, every key in every database, with the backup's (all its data is lost)"
            : 'clean is off: a server that already holds keys is refused, nothing is replaced',
          ...REPLICATION_LINES,
          `check the RDB's CRC64 before anything reaches the server, then ${checks}`,
        ],
      };
  }
}
