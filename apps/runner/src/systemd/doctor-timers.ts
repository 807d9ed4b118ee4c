import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeError, type DoctorCheck, type Plan, type Strategy } from '@lifeboat/core';
import { MANIFEST, activators, readInstalled, systemctl, type SystemctlOptions } from './install.js';
import { DEFAULT_ENV_FILE, DEFAULT_EXEC, systemdUnits } from './units.js';

/**
 * `lifeboat doctor`'s timers line: the units `systemd install` recorded in
 * the unit folder are this plan's and all there, and — where systemd runs —
 * the timers are enabled. A warning, never critical: a host may run the
 * plan from cron or by hand.
 */
export async function timersCheck(plan: Plan, strategies: readonly Strategy<never>[], unitDir: string, sc: SystemctlOptions): Promise<DoctorCheck> {
  const check = 'timers';
  let installed;
  try {
    installed = readInstalled(unitDir);
  } catch (err) {
    return { level: 'warning', check, detail: describeError(err) };
  }
  if (!installed) {
    return { level: 'warning', check, detail: `no lifeboat units are installed in ${unitDir} (no ${MANIFEST}): the plan's schedules run nothing on their own; sudo lifeboat systemd install` };
  }
  if (installed.plan !== plan.file) {
    return { level: 'warning', check, detail: `the units in ${unitDir} run the plan ${installed.plan}, not ${plan.file}; lifeboat --plan ${plan.file} systemd install` };
  }
  const wanted = systemdUnits(plan, strategies, { exec: DEFAULT_EXEC, envFile: DEFAULT_ENV_FILE }).map((u) => u.name);
  const recorded = new Set(installed.units.map((u) => u.name));
  const missing = wanted.filter((n) => !recorded.has(n) || !existsSync(path.join(unitDir, n)));
  if (missing.length > 0) {
    return { level: 'warning', check, detail: `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed in ${unitDir} (the plan changed since?); lifeboat systemd install` };
  }
  const timers = activators(wanted);
  const running = await systemctl(['is-system-running'], sc);
  if (running.code === -1 || running.stdout.trim() === 'offline' || running.stdout.trim() === '') {
    return { level: 'ok', check, detail: `${wanted.length} units installed in ${unitDir} for this plan (systemd is not running here, so whether they are enabled is not known)` };
  }
  const enabled = await systemctl(['is-enabled', ...timers], sc);
  const states = enabled.stdout.trim().split('\n');
  const off = timers.filter((_, i) => states[i] !== 'enabled');
  if (off.length > 0) return { level: 'warning', check, detail: `${off.join(', ')} ${off.length === 1 ? 'is' : 'are'} not enabled; sudo systemctl enable --now ${off.join(' ')}` };
  return { level: 'ok', check, detail: `${timers.length} timers and path units installed and enabled (systemctl list-timers 'lifeboat-*')` };
}
