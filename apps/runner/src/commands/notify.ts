import { hostname } from 'node:os';
import { ExitCode, type Severity } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

/**
 * `lifeboat notify --unit NAME`: the alert `OnFailure=lifeboat-notify@%n.service`
 * sends when a lifeboat unit fails — also for failures the run could not
 * report itself (a plan that no longer parses, a killed process, a timeout).
 */
export async function notifyCommand(ctx: CommandContext, opts: { unit: string; severity: Severity }): Promise<number> {
  const plan = await ctx.loadPlan();
  const { operation, component } = unitSubject(opts.unit);
  if (plan.notify.length === 0) {
    ctx.io.stderr.write(`lifeboat: warning: the plan ${plan.file} has no notify channels, so the failure of ${opts.unit} was not sent anywhere\n`);
    return ExitCode.ok;
  }
  const message = `systemd unit ${opts.unit} failed on ${hostname()}; journalctl -u ${opts.unit} shows why`;
  await ctx.alerter.failure(plan, operation, component, opts.severity, message, ExitCode.failed);
  ctx.io.stdout.write(`sent: ${operation} of ${component} failed (${opts.unit}, ${opts.severity})\n`);
  return ExitCode.ok;
}

/** `lifeboat-backup-database.service` → backup of database; `lifeboat-verify.service` → verify of the plan. */
export function unitSubject(unit: string): { operation: string; component: string } {
  const base = unit.replace(/\.(service|timer|path)$/, '');
  const backup = /^lifeboat-backup-(.+)$/.exec(base);
  if (backup) return { operation: 'backup', component: backup[1]! };
  const other = /^lifeboat-(.+)$/.exec(base);
  return { operation: other ? other[1]! : base, component: 'the plan' };
}
