import { LifeboatError, describeError, formatDuration, type EngineContext } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { connectComponent } from './live-server.js';
import { walComponent } from './wal-component.js';

/** One postgresql.conf line `wal setup` prints, and why. */
export interface WalSetting {
  name: string;
  /** As postgresql.conf takes it (strings quoted). */
  value: string;
  why: string;
}

export interface WalSetup {
  component: string;
  plan: string;
  settings: WalSetting[];
  /** For a restore by hand (restore --to-time writes it itself). */
  restoreCommand: string;
}

/** One live setting against what the plan needs. */
export interface WalSettingCheck {
  name: string;
  actual: string;
  expected: string;
  ok: boolean;
  /** Why it is wrong, as a sentence fragment: `archive_mode is off (expected on; needs a restart)`. */
  problem?: string;
}

export interface WalSetupCheck {
  /** The server, without secrets. */
  server: string;
  checks: WalSettingCheck[];
  ok: boolean;
}

/**
 * The postgresql.conf lines that archive a component's WAL with this plan:
 * `command` is how the server's OS user runs Lifeboat (`lifeboat` when it is
 * on that user's PATH). archive_timeout is half of walRpo, so a quiet server
 * still closes (and archives) a segment well within it.
 */
export function walSetup(ctx: EngineContext, component: string, command = 'lifeboat'): WalSetup {
  walComponent(ctx, component);
  const config = ctx.plan.components[component] as unknown as PostgresConfig;
  const walRpoMs = config.pitr!.walRpo;
  const plan = shellWord(ctx.plan.file);
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return {
    component,
    plan: ctx.plan.file,
    settings: [
      { name: 'wal_level', value: 'replica', why: 'enough WAL to replay on another server (logical also does)' },
      { name: 'archive_mode', value: 'on', why: 'needs a restart' },
      { name: 'archive_command', value: quote(`${command} --plan ${plan} wal push ${component} %p`), why: 'runs as the server\u2019s OS user in the data directory' },
      {
        name: 'archive_timeout',
        value: String(archiveTimeoutSeconds(walRpoMs)),
        why: `seconds: half of walRpo ${formatDuration(walRpoMs)}, so a quiet server still closes a segment in time`,
      },
    ],
    restoreCommand: quote(`${command} --plan ${plan} wal get ${component} %f %p`),
  };
}

export function archiveTimeoutSeconds(walRpoMs: number): number {
  return Math.max(1, Math.floor(walRpoMs / 2000));
}

/**
 * Compares the component's live server (SHOW via pg_settings) with what the
 * plan needs; rejects when the server cannot be asked.
 */
export async function walSetupCheck(ctx: EngineContext, component: string): Promise<WalSetupCheck> {
  walComponent(ctx, component);
  const config = ctx.plan.components[component] as unknown as PostgresConfig;
  const walRpoMs = config.pitr!.walRpo;
  let rows: Array<{ name: string; setting: string; pending_restart: boolean }>;
  let server: string;
  try {
    const { client, target } = await connectComponent(ctx, component, config);
    server = target.display;
    try {
      rows = (
        await client.query<{ name: string; setting: string; pending_restart: boolean }>(
          "SELECT name, setting, pending_restart FROM pg_settings WHERE name IN ('wal_level', 'archive_mode', 'archive_command', 'archive_library', 'archive_timeout', 'max_wal_senders')",
        )
      ).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    throw new LifeboatError(`cannot check the settings of ${component}'s server: ${describeError(err)}`, undefined, { cause: err });
  }
  const live = new Map(rows.map((r) => [r.name, r]));
  const value = (name: string) => live.get(name)?.setting ?? '';
  const restart = (name: string) => (live.get(name)?.pending_restart ? ' (changed in the configuration, waiting for a restart)' : '');
  const checks: WalSettingCheck[] = [];
  const check = (name: string, expected: string, ok: boolean, problem: string) =>
    checks.push({ name, actual: value(name), expected, ok, ...(ok ? {} : { problem }) });

  check('wal_level', 'replica or logical', ['replica', 'logical'].includes(value('wal_level')), `wal_level is ${value('wal_level')} (expected replica; needs a restart)${restart('wal_level')}`);
  check('archive_mode', 'on', ['on', 'always'].includes(value('archive_mode')), `archive_mode is ${value('archive_mode')} (expected on; needs a restart)${restart('archive_mode')}`);
  if (live.has('archive_library')) {
    check('archive_library', "'' (none)", value('archive_library') === '', `archive_library is '${value('archive_library')}', which makes PostgreSQL ignore archive_command (expected '')`);
  }
  const command = value('archive_command');
  const pushes = new RegExp(`(^|\\s)wal\\s+push\\s+${component.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+%p(\\s|$)`).test(command);
  const planArg = /(?:--plan[=\s]+|-p\s+)(?:"([^"]+)"|'([^']+)'|(\S+))/.exec(command);
  const planOf = planArg ? (planArg[1] ?? planArg[2] ?? planArg[3])! : undefined;
  check(
    'archive_command',
    `… --plan ${ctx.plan.file} wal push ${component} %p`,
    pushes && planOf === ctx.plan.file,
    !command
      ? 'archive_command is empty (expected lifeboat wal push; nothing is archived)'
      : !pushes
        ? `archive_command is '${command}', not lifeboat's wal push of ${component}`
        : `archive_command pushes with ${planOf ? `the plan ${planOf}` : 'no --plan'}, not ${ctx.plan.file}`,
  );
  const timeout = Number(value('archive_timeout'));
  const limit = Math.floor(walRpoMs / 1000);
  check(
    'archive_timeout',
    `1–${limit} seconds (${archiveTimeoutSeconds(walRpoMs)} suggested)`,
    timeout > 0 && timeout <= limit,
    timeout === 0
      ? `archive_timeout is 0 (off): a quiet server may keep a segment open far longer than walRpo ${formatDuration(walRpoMs)} (expected ${archiveTimeoutSeconds(walRpoMs)})`
      : `archive_timeout is ${timeout}s, larger than walRpo ${formatDuration(walRpoMs)} (expected ${archiveTimeoutSeconds(walRpoMs)})`,
  );
  check('max_wal_senders', 'at least 1', Number(value('max_wal_senders')) >= 1, `max_wal_senders is ${value('max_wal_senders')}: pg_basebackup cannot connect (expected at least 1; needs a restart)`);
  return { server, checks, ok: checks.every((c) => c.ok) };
}

/** A path as one word for the shell that runs archive_command. */
function shellWord(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `"${path.replace(/(["\\$`])/g, '\\$1')}"`;
}
