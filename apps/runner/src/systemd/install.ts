import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LifeboatError, UsageError } from '@lifeboat/core';
import type { UnitFile } from './units.js';

/** What `install` wrote, kept beside the units, so `uninstall` removes exactly that. */
export const MANIFEST = 'lifeboat-units.json';

export interface InstalledUnits {
  version: 1;
  plan: string;
  installedAt: string;
  units: Array<{ name: string; sha256: string }>;
}

export interface SystemctlOptions {
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
}

const SYSTEMCTL_DEADLINE_MS = 120_000;

/** Runs systemctl; resolves with its exit code and output (a missing systemctl is code -1). */
export function systemctl(args: string[], opts: SystemctlOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('systemctl', args, { env: opts.env as NodeJS.ProcessEnv, timeout: SYSTEMCTL_DEADLINE_MS, signal: opts.signal, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: err && code === -1 ? err.message : stderr });
    });
  });
}

/** systemctl's output, or a sentence: the step that failed and what systemctl said. */
export async function mustSystemctl(args: string[], opts: SystemctlOptions): Promise<string> {
  const result = await systemctl(args, opts);
  if (result.code !== 0) {
    const said = (result.stderr || result.stdout).trim().split('\n').at(-1) ?? '';
    throw new LifeboatError(`systemctl ${args.join(' ')} failed (exit ${result.code})${said ? `: ${said}` : ''}`);
  }
  return result.stdout;
}

/**
 * Refuses, before anything is written, where units could not run: no
 * systemctl, or PID 1 is not systemd (a container, this project's CI). Never
 * pretends an install worked.
 */
export async function requireSystemd(opts: SystemctlOptions): Promise<void> {
  const result = await systemctl(['is-system-running'], opts);
  const state = result.stdout.trim();
  if (result.code === -1) {
    throw new LifeboatError(`systemctl could not be run (${result.stderr.trim()}); nothing was installed — write the units with lifeboat systemd generate --out DIR and install them where systemd runs`);
  }
  if (state === 'offline' || state === '' || /not been booted with systemd|Failed to connect/i.test(result.stderr)) {
    throw new LifeboatError('systemd is not running on this host (PID 1 is not systemd), so timers cannot be installed here; nothing was changed — use lifeboat systemd generate --out DIR to write the units');
  }
}

export function readInstalled(unitDir: string): InstalledUnits | undefined {
  const file = path.join(unitDir, MANIFEST);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as InstalledUnits;
    if (parsed.version !== 1 || !Array.isArray(parsed.units)) throw new Error('not a version 1 record');
    return parsed;
  } catch (err) {
    throw new LifeboatError(`${file} cannot be read (${(err as Error).message}); it records which units lifeboat installed — restore it or remove the units by hand`);
  }
}

export function writeInstalled(unitDir: string, record: InstalledUnits | undefined): void {
  const file = path.join(unitDir, MANIFEST);
  if (!record || record.units.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeAtomically(file, JSON.stringify(record, null, 2) + '\n');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function writeAtomically(file: string, text: string): void {
  const temp = `${file}.lifeboat-tmp`;
  writeFileSync(temp, text, { mode: 0o644 });
  renameSync(temp, file);
}

/** What install enables and starts: timers, path units and the long-running services of `schedule: continuous`. */
export function activators(names: string[]): string[] {
  const started = new Set(names.filter((n) => n.endsWith('.timer') || n.endsWith('.path')).map((n) => n.replace(/\.(timer|path)$/, '.service')));
  // A service nothing starts (no timer or path of its name, not a template) is a long-running one (schedule: continuous).
  const daemons = names.filter((n) => n.endsWith('.service') && !n.includes('@') && !started.has(n));
  return names.filter((n) => n.endsWith('.timer') || n.endsWith('.path') || daemons.includes(n));
}

/** Checks, before anything is written, that no file about to be written belongs to someone else. */
export function checkOwnership(unitDir: string, units: UnitFile[], installed: InstalledUnits | undefined, planFile: string): void {
  if (installed && installed.plan !== planFile) {
    throw new UsageError(
      `${path.join(unitDir, MANIFEST)} says the units there belong to the plan ${installed.plan}; run lifeboat --plan ${installed.plan} systemd uninstall first (one plan per unit folder)`,
    );
  }
  const ours = new Set(installed?.units.map((u) => u.name));
  const foreign = units.filter((u) => !ours.has(u.name) && existsSync(path.join(unitDir, u.name))).map((u) => u.name);
  if (foreign.length > 0) {
    throw new UsageError(`${foreign.map((n) => path.join(unitDir, n)).join(', ')} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not installed by lifeboat; nothing was changed — move ${foreign.length === 1 ? 'it' : 'them'} away first`);
  }
}
