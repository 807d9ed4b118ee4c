/**
 * `restore --help`: what --to and --to-dir mean for each kind of component,
 * and examples, for the command's definition in main.ts. No imports: main.ts
 * loads it at start, while the command itself is loaded only when it runs.
 */
export const RESTORE_HELP = {
  to: 'postgres: a URL without password, or env:NAME / file:/path holding one; redis: a running server to load over replication (empty, or --clean --yes), with --to-dir the server to check after afterRestore, or "ephemeral"; files: a folder',
  clean: 'replace what the target holds (postgres: drop and recreate the database; redis --to redis://…: every key); needs --yes',
  toDir: 'redis: the data folder to write dump.rdb into, between the plan\u2019s beforeRestore/afterRestore hooks',
  examples: [
    '',
    'Examples:',
    '  $ RESTORE_URL=postgres://civicq@db:5432/civicq_restored lifeboat restore database --to env:RESTORE_URL',
    '  $ lifeboat restore database --backup 20260214T020000Z-3f9a1c --to env:DATABASE_URL --clean --yes --jobs 4',
    '  $ lifeboat restore redis --to-dir /opt/civicq/data/redis --owner 999:999 --yes',
    '      beforeRestore stops Redis, dump.rdb is written, afterRestore starts it; then the server at the',
    '      plan\u2019s url must have restarted and hold the backup\u2019s keys per database',
    '  $ lifeboat restore redis --to-dir /srv/redis-b/data --to env:REDIS_B_URL --yes',
    '      the same, when the server that loads that folder is not the plan\u2019s url (without hooks,',
    '      no server is checked unless --to names one)',
    '  $ lifeboat restore redis --to redis://127.0.0.1:6390',
    '      load it into a running, empty server: Lifeboat acts as its replication master for one full',
    '      sync, then REPLICAOF NO ONE; a server holding keys needs --clean --yes',
    '  $ lifeboat restore redis --to ephemeral',
    '  $ lifeboat restore config --list',
    '  $ lifeboat restore config --to /tmp/config-restored',
  ].join('\n'),
} as const;
