// Apart from the other WAL commands: --check connects to the server, and the driver is not what archive_command and
// restore_command, which run once per segment, should load.

import { ExitCode } from '@lifeboat/core';
import { walSetup, walSetupCheck, type WalSetup, type WalSetupCheck } from '@lifeboat/strategies';
import type { CommandContext } from '../main.js';
import { walEngine } from './wal.js';

/**
 * `wal setup <component> [--check] [--json]`: the postgresql.conf lines that
 * archive the component with this plan; with --check, the live server's
 * settings against them (exit 3 naming each wrong one).
 */
export async function walSetupCommand(ctx: CommandContext, component: string, opts: { check?: boolean; json?: boolean }): Promise<number> {
  const engine = await walEngine(ctx);
  const setup = walSetup(engine, component);
  const check = opts.check ? await walSetupCheck(engine, component) : undefined;
  if (opts.json) ctx.io.stdout.write(JSON.stringify({ ...setup, ...(check ? { check } : {}) }, null, 2) + '\n');
  else ctx.io.stdout.write(describeSetup(setup) + (check ? describeCheck(check) : ''));
  if (check && !check.ok) {
    const wrong = check.checks.filter((c) => !c.ok);
    ctx.io.stderr.write(`lifeboat: ${wrong.length} setting(s) of ${component}'s server ${check.server} are not as the plan needs: ${wrong.map((c) => c.problem).join('; ')}\n`);
    return ExitCode.unhealthy;
  }
  return ExitCode.ok;
}

function describeSetup(setup: WalSetup): string {
  const width = Math.max(...setup.settings.map((s) => `${s.name} = ${s.value}`.length));
  return [
    `# postgresql.conf of the server of components.${setup.component} (plan ${setup.plan}); archive_mode and wal_level need a restart, the rest a reload`,
    ...setup.settings.map((s) => `${`${s.name} = ${s.value}`.padEnd(width)}   # ${s.why}`),
    '# for a restore by hand (lifeboat restore --to-time writes it itself):',
    `# restore_command = ${setup.restoreCommand}`,
    '',
  ].join('\n');
}

function describeCheck(check: WalSetupCheck): string {
  const lines = [`\n${check.server}:`];
  for (const c of check.checks) lines.push(c.ok ? `  ok     ${c.name} = ${c.actual}` : `  WRONG  ${c.problem}`);
  lines.push(check.ok ? '  the server archives with this plan' : '');
  return lines.join('\n') + '\n';
}
