import path from 'node:path';
import { ExitCode, describeError, withTimeout, worstLevel, type DoctorCheck, type DoctorLevel, type Plan } from '@lifeboat/core';
import { doctorReport, runDoctor, DOCTOR_CHECK_TIMEOUT_MS } from '@lifeboat/verify';
import type { CommandContext } from '../main.js';
import { timersCheck } from '../systemd/doctor-timers.js';
import { DEFAULT_UNIT_DIR } from '../systemd/unit-dir.js';

export interface DoctorFlags {
  json?: boolean;
  nagios?: boolean;
  unitDir?: string;
}

/** Nagios plugin exit codes (Monitoring Plugins guidelines). */
export const NAGIOS = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/**
 * `lifeboat doctor [--json] [--nagios]`: every check one line. Exit 0 when
 * nothing is critical (warnings are printed), 3 (unhealthy) when something
 * is; a plan that does not load is exit 2 as for every command. With
 * --nagios: a summary line first and Nagios's 0/1/2/3.
 */
export async function doctorCommand(ctx: CommandContext, opts: DoctorFlags): Promise<number> {
  let plan: Plan;
  try {
    plan = await ctx.loadPlan();
  } catch (err) {
    if (!opts.nagios) throw err;
    // A plan that does not load is an outage to a monitor: nothing it describes will run.
    ctx.io.stdout.write(`LIFEBOAT CRITICAL - plan: ${describeError(err).replace(/\s*\n\s*/g, ' ')}\n`);
    return NAGIOS.critical;
  }
  const engine = { ...ctx.engine(plan), onEvent: () => undefined };
  let checks: DoctorCheck[];
  try {
    checks = await runDoctor(engine);
  } catch (err) {
    if (!opts.nagios) throw err;
    // Doctor itself broke: the monitor cannot tell, which Nagios calls UNKNOWN.
    ctx.io.stdout.write(`LIFEBOAT UNKNOWN - doctor could not run: ${describeError(err).replace(/\s*\n\s*/g, ' ')}\n`);
    return NAGIOS.unknown;
  }
  const unitDir = path.resolve(ctx.environment.cwd, opts.unitDir ?? DEFAULT_UNIT_DIR);
  checks.push(
    await withTimeout(timersCheck(plan, ctx.registry.strategies, unitDir, { env: ctx.environment.env, signal: ctx.signal }), DOCTOR_CHECK_TIMEOUT_MS).catch(
      (err: unknown): DoctorCheck => ({ level: 'warning', check: 'timers', detail: describeError(err) }),
    ),
  );
  const worst = worstLevel(checks);
  if (opts.json) ctx.io.stdout.write(JSON.stringify(doctorReport(plan, checks, ctx.environment.now ?? new Date()), null, 2) + '\n');
  else {
    if (opts.nagios) ctx.io.stdout.write(nagiosSummary(worst, checks) + '\n');
    ctx.io.stdout.write(formatChecks(checks));
  }
  if (opts.nagios) return NAGIOS[worst];
  return worst === 'critical' ? ExitCode.unhealthy : ExitCode.ok;
}

/** `level  check  detail`, the first two padded so the details line up. */
export function formatChecks(checks: DoctorCheck[]): string {
  const level = Math.max(...checks.map((c) => c.level.length));
  const name = Math.max(...checks.map((c) => c.check.length));
  return checks.map((c) => `${c.level.padEnd(level)}  ${c.check.padEnd(name)}  ${c.detail}`).join('\n') + '\n';
}

/** Nagios's first line: state, what is worst, and the counts as perfdata. */
function nagiosSummary(worst: DoctorLevel, checks: DoctorCheck[]): string {
  const count = (level: DoctorLevel) => checks.filter((c) => c.level === level).length;
  const bad = checks.filter((c) => c.level === worst && worst !== 'ok');
  const what = bad.length === 0 ? `all ${checks.length} checks ok` : `${bad.length} ${worst}: ${bad.map((c) => c.check).join(', ')}`;
  return `LIFEBOAT ${worst === 'ok' ? 'OK' : worst.toUpperCase()} - ${what} | ok=${count('ok')} warning=${count('warning')} critical=${count('critical')}`;
}
