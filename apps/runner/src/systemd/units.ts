import path from 'node:path';
import { continuousPlanOf, cronToOnCalendar, isContinuousRefusal, type ContinuousHook, OnCalendarError, resolveSchedules, UsageError, type ContinuousDaemon, type Plan, type Schedules, type Strategy } from '@lifeboat/core';

/** One generated file, named as systemd will know it. */
export interface UnitFile {
  name: string;
  text: string;
}

export interface UnitOptions {
  /** The installed launcher, absolute (`--exec`, default /usr/local/bin/lifeboat). */
  exec: string;
  /** Where the secrets the plan references by `env:` live (optional at run time). */
  envFile: string;
}

export const DEFAULT_EXEC = '/usr/local/bin/lifeboat';
export const DEFAULT_ENV_FILE = '/etc/lifeboat/lifeboat.env';
export const NOTIFY_TEMPLATE = 'lifeboat-notify@.service';

/** A status run every few minutes must not wait longer than that at random. */
const STATUS_DELAY_CAP_S = 60;

/**
 * The systemd units that run the plan on their own: per component a oneshot
 * backup service and its timer (or, for `on-change`, a .path unit and a slow
 * safety timer), timers for verify, drill, status and prune, and the template
 * that alerts when any of them fails. Pure: the same plan gives the same
 * bytes. Throws UsageError naming each schedule systemd cannot express.
 */
export function systemdUnits(plan: Plan, strategies: readonly Strategy<never>[], opts: UnitOptions): UnitFile[] {
  if (!path.isAbsolute(opts.exec)) throw new UsageError(`--exec ${opts.exec}: expected the absolute path of the installed lifeboat launcher, such as ${DEFAULT_EXEC}`);
  if (!path.isAbsolute(opts.envFile)) throw new UsageError(`--env-file ${opts.envFile}: expected an absolute path, such as ${DEFAULT_ENV_FILE}`);
  const schedules = resolveSchedules(plan);
  const refusals: string[] = [];
  const calendar = (cron: string, field: string): string[] => {
    try {
      return cronToOnCalendar(cron, schedules.timeZone);
    } catch (err) {
      if (!(err instanceof OnCalendarError)) throw err;
      refusals.push(`${plan.file}: ${field} "${cron}" cannot be a systemd timer: ${err.message}; use numbers, names, ranges (a-b), lists and steps (*/n) only`);
      return [];
    }
  };
  const lifeboat = `${quoteArg(opts.exec)} --plan ${quoteArg(plan.file)}`;
  const writable = destinationPaths(plan);
  const files: UnitFile[] = [];

  for (const [name, component] of Object.entries(plan.components)) {
    const schedule = component.schedule as { kind: string; expression?: string };
    const unit = `lifeboat-backup-${name}`;
    const notes: string[] = [];
    const alongside = schedule.kind === 'continuous' ? undefined : continuousAlongside(component, strategies);
    if (alongside) notes.push(`# Continuously, beside this schedule: ${alongside.how};`, '# no unit does that. This service takes the scheduled backups.');
    if (schedule.kind === 'cron') {
      const lines = calendar(schedule.expression!, `components.${name}.schedule`);
      files.push(service(unit, `back up ${name}`, `backup ${name}`, { notes, backup: true }));
      files.push(timer(unit, `back up ${name} at "${schedule.expression}" (${schedules.timeZone})`, lines, schedules.randomizedDelay / 1000, true));
    } else if (schedule.kind === 'on-change') {
      const watched = strategies.find((s) => s.kind === component.type)?.watchedPaths?.(component as never, plan.dir);
      if (!watched || watched.paths.length === 0) {
        refusals.push(`${plan.file}: components.${name}.schedule is on-change, but type ${component.type} names no paths a .path unit can watch; use a cron expression`);
        continue;
      }
      const lines = calendar(schedules.onChangeSafety, 'schedules.onChangeSafety');
      files.push(service(unit, `back up ${name} (on change)`, `backup ${name}`, { notes, backup: true }));
      files.push(pathUnit(unit, name, watched.paths, watched.unwatched));
      files.push(timer(unit, `back up ${name} even when no change was noticed, at "${schedules.onChangeSafety}" (${schedules.timeZone})`, lines, schedules.randomizedDelay / 1000, true));
    } else if (schedule.kind === 'continuous') {
      const continuous = continuousPlanOf(component, strategies);
      const how = [`# schedule: continuous: ${continuous.how}`, ...(continuous.setup ? [`# (set up and checked with: lifeboat --plan ${plan.file} ${continuous.setup.join(' ')}).`] : [])];
      if (continuous.backups) {
        const lines = calendar(continuous.backups, `components.${name} (its continuous schedule's backups)`);
        files.push(service(unit, `back up ${name}`, `backup ${name}`, { notes: [...how, '# This service takes the scheduled backups beside it.'], backup: true }));
        files.push(timer(unit, `back up ${name} at "${continuous.backups}" (${schedules.timeZone})`, lines, schedules.randomizedDelay / 1000, true));
      }
      if (continuous.daemon) files.push(daemon(`lifeboat-${continuous.daemon.name}-${name}`, continuous.daemon, how));
    } else {
      refusals.push(`${plan.file}: components.${name}.schedule is ${schedule.kind}, which lifeboat systemd cannot run; use a cron expression or on-change`);
    }
  }

  const planTimer = (unit: string, what: string, cron: string, field: string, command: string, extra: ServiceExtra = {}) => {
    if (cron === 'off') return;
    const lines = calendar(cron, field);
    const status = unit === 'lifeboat-status';
    files.push(service(unit, what, command, extra));
    const delay = status ? Math.min(schedules.randomizedDelay / 1000, STATUS_DELAY_CAP_S) : schedules.randomizedDelay / 1000;
    files.push(timer(unit, `${what} at "${cron}" (${schedules.timeZone})`, lines, delay, !status));
  };
  planTimer('lifeboat-verify', `verify a ${schedules.verify.sample}% sample of the copies`, schedules.verify.schedule, 'schedules.verify.schedule', `verify --sample ${schedules.verify.sample}`);
  if (Object.values(plan.components).some((c) => c.drill)) {
    planTimer('lifeboat-drill', 'restore drill', schedules.drill.schedule, 'schedules.drill.schedule', 'drill');
  }
  planTimer('lifeboat-status', 'status against RPO, RTO and 3-2-1', schedules.status.schedule, 'schedules.status.schedule', statusCommand(schedules), {
    // Unhealthy (3) is what --notify already alerted on; only a run that could not look is a failure.
    successExit: [3, 75],
    successNote: '3: unhealthy, which --notify has just alerted on; 75: another run holds the lock',
    timeout: '4min',
    writable: schedules.status.prometheus ? [path.dirname(path.resolve(plan.dir, schedules.status.prometheus))] : [],
  });
  planTimer('lifeboat-prune', 'prune by the retention policies', schedules.prune.schedule, 'schedules.prune.schedule', 'prune --yes');
  // Exit 3 (something critical) fails the unit, so OnFailure= sends the plan's alert.
  planTimer('lifeboat-doctor', 'preflight checks (lifeboat doctor)', schedules.doctor.schedule, 'schedules.doctor.schedule', 'doctor', { timeout: '30min' });
  files.push(notifyTemplate());

  if (refusals.length > 0) throw new UsageError(refusals.length === 1 ? refusals[0]! : `${refusals.length} schedules cannot be systemd timers:\n- ${refusals.join('\n- ')}`);
  return files;

  function service(unit: string, what: string, command: string, extra: ServiceExtra): UnitFile {
    const rw = [...writable, ...(extra.writable ?? [])];
    const lines = [
      ...header(),
      ...(extra.notes ?? []),
      '[Unit]',
      `Description=Lifeboat: ${what} (plan ${plan.name})`,
      'Wants=network-online.target',
      'After=network-online.target',
      'OnFailure=lifeboat-notify@%n.service',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${lifeboat} ${command}`,
      `EnvironmentFile=-${opts.envFile}`,
      `# ${extra.successNote ?? '75: another run holds the lock, not a failure; the next run does it'}`,
      `SuccessExitStatus=${(extra.successExit ?? [75]).join(' ')}`,
      `TimeoutStartSec=${extra.timeout ?? '12h'}`,
      '# Host locks live here ($RUNTIME_DIRECTORY), shared by every lifeboat unit.',
      'RuntimeDirectory=lifeboat',
      'RuntimeDirectoryPreserve=yes',
      ...(extra.backup ? ['Nice=10', 'IOSchedulingClass=idle', 'CPUSchedulingPolicy=batch'] : []),
      ...hardening(rw),
    ];
    return { name: `${unit}.service`, text: lines.join('\n') + '\n' };
  }

  /** A long-running process for `schedule: continuous`, kept up by Restart=; enabled like a timer (install's `activators`). */
  function daemon(unit: string, d: ContinuousDaemon, notes: string[]): UnitFile {
    const lines = [
      ...header(),
      ...notes,
      '[Unit]',
      `Description=Lifeboat: ${d.description} (plan ${plan.name})`,
      'Wants=network-online.target',
      'After=network-online.target',
      'OnFailure=lifeboat-notify@%n.service',
      '# Restarts are spaced so that StartLimitBurst is never reached: a destination down for long keeps being retried.',
      'StartLimitIntervalSec=0',
      '',
      '[Service]',
      'Type=exec',
      `ExecStart=${lifeboat} ${d.args.map(quoteArg).join(' ')}`,
      `EnvironmentFile=-${opts.envFile}`,
      ...(d.user ? [`# The owner of the files it shares with the source; systemctl edit to change it.`, `User=${d.user}`] : []),
      '# 75 (another process holds its lock) is a failure here: Restart= tries again until this service holds it.',
      'Restart=on-failure',
      'RestartSec=10s',
      // No RuntimeDirectory=: systemd would hand /run/lifeboat, shared with the root units, to User=.
      ...hardening([...writable, ...d.writable]),
      '',
      '[Install]',
      'WantedBy=multi-user.target',
    ];
    return { name: `${unit}.service`, text: lines.join('\n') + '\n' };
  }

  function timer(unit: string, what: string, onCalendar: string[], delaySeconds: number, persistent: boolean): UnitFile {
    const lines = [
      ...header(),
      '[Unit]',
      `Description=Lifeboat: ${what} (plan ${plan.name})`,
      '',
      '[Timer]',
      ...onCalendar.map((line) => `OnCalendar=${line}`),
      ...(onCalendar.length > 1 ? ['# cron runs on days matching the day of month OR the weekday: one line each'] : []),
      ...(persistent ? ['Persistent=true'] : []),
      `RandomizedDelaySec=${Math.round(delaySeconds)}`,
      '',
      '[Install]',
      'WantedBy=timers.target',
    ];
    return { name: `${unit}.timer`, text: lines.join('\n') + '\n' };
  }

  function pathUnit(unit: string, component: string, paths: string[], unwatched: string[]): UnitFile {
    const lines = [
      ...header(),
      ...(unwatched.length > 0 ? ['# Globs cannot be watched; only the safety timer covers:', ...unwatched.map((p) => `#   ${p}`)] : []),
      '# A folder is watched for its own entries, not those of its subfolders: the safety timer covers those.',
      '[Unit]',
      `Description=Lifeboat: back up ${component} when its files change (plan ${plan.name})`,
      '',
      '[Path]',
      ...paths.map((p) => `PathChanged=${escapeSpecifiers(p)}`),
      `Unit=${unit}.service`,
      '',
      '[Install]',
      'WantedBy=paths.target',
    ];
    return { name: `${unit}.path`, text: lines.join('\n') + '\n' };
  }

  function notifyTemplate(): UnitFile {
    const lines = [
      ...header(),
      '# Started by OnFailure= of every lifeboat unit, with the failed unit as the instance (%i).',
      '[Unit]',
      `Description=Lifeboat: alert that %i failed (plan ${plan.name})`,
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${lifeboat} notify --unit %i`,
      `EnvironmentFile=-${opts.envFile}`,
      'TimeoutStartSec=5min',
      ...hardening([]),
    ];
    return { name: NOTIFY_TEMPLATE, text: lines.join('\n') + '\n' };
  }

  function header(): string[] {
    return [`# Generated by lifeboat systemd generate from ${plan.file} (plan ${plan.name}).`, '# Regenerate rather than edit; override with systemctl edit.'];
  }
}

/** What the kind keeps doing all the time even on a cron schedule (a pitr: component's WAL archiving), if anything. */
function continuousAlongside(component: Plan['components'][string], strategies: readonly Strategy<never>[]) {
  const answer = (strategies.find((s) => s.kind === component.type)?.continuous as ContinuousHook | undefined)?.(component);
  return answer && !isContinuousRefusal(answer) ? answer : undefined;
}

interface ServiceExtra {
  notes?: string[];
  backup?: boolean;
  successExit?: number[];
  successNote?: string;
  timeout?: string;
  writable?: string[];
}

function statusCommand(schedules: Schedules): string {
  return `status --notify${schedules.status.prometheus ? ` --prometheus ${quoteArg(schedules.status.prometheus)}` : ''}`;
}

/**
 * The filesystem is read-only to lifeboat but for its destinations' folders
 * (fs destinations are the only local ones), the runtime directory and a
 * private /tmp (where restores spool and drills start throwaway servers).
 * `-`: a folder that does not exist yet is not an error of the unit; the
 * backup says which destination it cannot write.
 */
function hardening(writable: string[]): string[] {
  return [
    'ProtectSystem=strict',
    ...[...new Set(writable)].map((p) => `ReadWritePaths=-${escapeSpecifiers(p)}`),
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    'ProtectHome=read-only',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'LockPersonality=yes',
  ];
}

function destinationPaths(plan: Plan): string[] {
  return Object.values(plan.destinations)
    .filter((d) => d.type === 'fs' && typeof d['path'] === 'string')
    .map((d) => path.resolve(plan.dir, d['path'] as string));
}

/** systemd splits ExecStart= on spaces and reads quotes, % specifiers and $ variables: a path is passed as written. */
function quoteArg(arg: string): string {
  const escaped = escapeSpecifiers(arg).replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/(["\\])/g, '\\$1')}"` : escaped;
}

function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}
