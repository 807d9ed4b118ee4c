import { randomBytes } from 'node:crypto';
import type { DrillTarget, StrategyContext } from '@lifeboat/core';
import { startEphemeralPostgres } from '@lifeboat/ephemeral';
import type { PostgresConfig } from './config.js';
import { connect, pgTarget, quoteIdent, withDatabase } from './connection.js';

const DRILL_URL = 'LIFEBOAT_DRILL_URL';

/**
 * A drill restores into a scratch database and never the production one:
 * `ephemeral` starts a throwaway local server (for a component with `pitr:`,
 * one recovered to the end of the WAL archive); anything else names a staging
 * server (env:/file: URL) on which a uniquely named database is created and
 * dropped afterwards.
 */
export async function preparePostgresDrill(ctx: StrategyContext<PostgresConfig>, target: string): Promise<DrillTarget> {
  if (ctx.config.pitr && target === 'ephemeral') {
    // PITR: the base backup recovered through the whole WAL archive, so every drill proves the chain (restoreToPoint starts and stops the server).
    return {
      request: { target: 'ephemeral', clean: false, yes: false, options: { toLatest: true } },
      env: {},
      description: 'a throwaway PostgreSQL, recovered from the base backup to the end of the WAL archive',
      cleanup: async () => undefined,
    };
  }
  const name = `lifeboat_drill_${randomBytes(4).toString('hex')}`;
  if (target === 'ephemeral') {
    ctx.step('starting a throwaway PostgreSQL for the drill');
    const server = await startEphemeralPostgres({ binDir: ctx.config.binDir, path: ctx.env.PATH });
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/${name}`;
    return {
      request: { target: `env:${DRILL_URL}`, clean: false, yes: false, options: {} },
      env: { [DRILL_URL]: url },
      description: `a throwaway PostgreSQL ${server.version} (database ${name})`,
      cleanup: () => server.stop(),
    };
  }
  const staging = pgTarget(await ctx.secrets.resolve(target, `components.${ctx.component}.drill.target`), `components.${ctx.component}.drill.target`);
  const scratch = withDatabase(staging, name);
  return {
    request: { target: `env:${DRILL_URL}`, clean: false, yes: false, options: {} },
    env: { [DRILL_URL]: scratch.url },
    description: scratch.display,
    cleanup: async () => {
      const admin = await connect(withDatabase(staging, 'postgres'));
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}
