import { mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, LifeboatError, type Plan } from '@lifeboat/core';
import type { CommandContext } from '../main.js';
import {
  activators,
  checkOwnership,
  mustSystemctl,
  readInstalled,
  requireSystemd,
  sha256,
  writeAtomically,
  writeInstalled,
  MANIFEST,
  type SystemctlOptions,
} from '../systemd/install.js';
import { DEFAULT_ENV_FILE, DEFAULT_EXEC, systemdUnits, type UnitFile } from '../systemd/units.js';
import { DEFAULT_UNIT_DIR } from '../systemd/unit-dir.js';


interface UnitFlags {
  exec?: string;
  envFile?: string;
}

async function generateUnits(ctx: CommandContext, flags: UnitFlags): Promise<{ plan: Plan; units: UnitFile[] }> {
  const plan = await ctx.loadPlan();
  return { plan, units: systemdUnits(plan, ctx.registry.strategies, { exec: flags.exec ?? DEFAULT_EXEC, envFile: flags.envFile ?? DEFAULT_ENV_FILE }) };
}

function printUnits(ctx: CommandContext, dir: string, units: UnitFile[]): void {
  for (const unit of units) ctx.io.stdout.write(`### ${path.join(dir, unit.name)}\n${unit.text}\n`);
}

/** `lifeboat systemd generate [--out DIR]`: the units, printed or written to a folder; systemd is not touched. */
export async function systemdGenerateCommand(ctx: CommandContext, opts: UnitFlags & { out?: string }): Promise<number> {
  const { units } = await generateUnits(ctx, opts);
  if (!opts.out) {
    printUnits(ctx, DEFAULT_UNIT_DIR, units);
    return ExitCode.ok;
  }
  const out = path.resolve(ctx.environment.cwd, opts.out);
  mkdirSync(out, { recursive: true });
  for (const unit of units) writeAtomically(path.join(out, unit.name), unit.text);
  ctx.io.stdout.write(`wrote ${units.length} units to ${out}: ${units.map((u) => u.name).join(', ')}\n`);
  return ExitCode.ok;
}

/**
 * `lifeboat systemd install`: writes the units (and a record of them), reloads
 * systemd, enables and starts the timers and path units, and shows
 * `systemctl list-timers` for them. A second install replaces what the first
 * wrote and removes the units the plan no longer needs.
 */
export async function systemdInstallCommand(ctx: CommandContext, opts: UnitFlags & { dryRun?: boolean; unitDir?: string }): Promise<number> {
  const { plan, units } = await generateUnits(ctx, opts);
  const unitDir = path.resolve(ctx.environment.cwd, opts.unitDir ?? DEFAULT_UNIT_DIR);
  if (opts.dryRun) {
    printUnits(ctx, unitDir, units);
    ctx.io.stdout.write(`# dry run: nothing was written; lifeboat systemd install would write these ${units.length} units to ${unitDir}, run systemctl daemon-reload, and enable --now ${activators(units.map((u) => u.name)).join(' ')}\n`);
    return ExitCode.ok;
  }
  const sc: SystemctlOptions = { env: ctx.environment.env, signal: ctx.signal };
  await requireSystemd(sc);
  const installed = readInstalled(unitDir);
  checkOwnership(unitDir, units, installed, plan.file);

  const names = units.map((u) => u.name);
  const stale = (installed?.units ?? []).filter((u) => !names.includes(u.name));
  const staleActive = activators(stale.map((u) => u.name)).filter((n) => existsSync(path.join(unitDir, n)));
  if (staleActive.length > 0) await mustSystemctl(['disable', '--now', ...staleActive], sc);
  const kept = removeUnchanged(unitDir, stale);

  mkdirSync(unitDir, { recursive: true });
  // The record first: an install cut short can still be uninstalled.
  writeInstalled(unitDir, { version: 1, plan: plan.file, installedAt: (ctx.environment.now ?? new Date()).toISOString(), units: [...kept, ...units.map((u) => ({ name: u.name, sha256: sha256(u.text) }))] });
  for (const unit of units) writeAtomically(path.join(unitDir, unit.name), unit.text);
  await mustSystemctl(['daemon-reload'], sc);
  await mustSystemctl(['enable', '--now', ...activators(names)], sc);
  const timers = names.filter((n) => n.endsWith('.timer'));
  ctx.io.stdout.write(await mustSystemctl(['list-timers', '--all', '--no-pager', ...timers], sc));
  ctx.io.stdout.write(`installed ${units.length} units in ${unitDir} for ${plan.file} (recorded in ${MANIFEST}); logs: journalctl -u 'lifeboat-*'\n`);
  if (kept.length > 0) throw changedUnits(unitDir, kept);
  return ExitCode.ok;
}

/** `lifeboat systemd uninstall`: stops, disables and removes exactly the units `install` recorded. */
export async function systemdUninstallCommand(ctx: CommandContext, opts: { dryRun?: boolean; unitDir?: string }): Promise<number> {
  const unitDir = path.resolve(ctx.environment.cwd, opts.unitDir ?? DEFAULT_UNIT_DIR);
  const installed = readInstalled(unitDir);
  if (!installed) throw new LifeboatError(`no lifeboat units are recorded in ${unitDir} (no ${MANIFEST}), so nothing was removed; pass --unit-dir if they were installed elsewhere`);
  const present = installed.units.filter((u) => existsSync(path.join(unitDir, u.name)));
  const active = activators(present.map((u) => u.name));
  if (opts.dryRun) {
    ctx.io.stdout.write(`# dry run: lifeboat systemd uninstall would run systemctl disable --now ${active.join(' ')}, remove these files from ${unitDir}, and reload systemd:\n`);
    for (const unit of installed.units) ctx.io.stdout.write(`${path.join(unitDir, unit.name)}\n`);
    return ExitCode.ok;
  }
  const sc: SystemctlOptions = { env: ctx.environment.env, signal: ctx.signal };
  await requireSystemd(sc);
  if (active.length > 0) await mustSystemctl(['disable', '--now', ...active], sc);
  const kept = removeUnchanged(unitDir, installed.units);
  writeInstalled(unitDir, kept.length > 0 ? { ...installed, units: kept } : undefined);
  await mustSystemctl(['daemon-reload'], sc);
  ctx.io.stdout.write(`removed ${installed.units.length - kept.length} lifeboat units from ${unitDir}\n`);
  if (kept.length > 0) throw changedUnits(unitDir, kept);
  return ExitCode.ok;
}

/** Removes the recorded units that are as lifeboat wrote them; returns those changed since (left in place). */
function removeUnchanged(unitDir: string, units: Array<{ name: string; sha256: string }>): Array<{ name: string; sha256: string }> {
  const kept: Array<{ name: string; sha256: string }> = [];
  for (const unit of units) {
    const file = path.join(unitDir, unit.name);
    if (!existsSync(file)) continue;
    if (sha256(readFileSync(file, 'utf8')) !== unit.sha256) {
      kept.push(unit);
      continue;
    }
    rmSync(file, { force: true });
  }
  return kept;
}

function changedUnits(unitDir: string, kept: Array<{ name: string }>): LifeboatError {
  return new LifeboatError(
    `${kept.map((u) => path.join(unitDir, u.name)).join(', ')} changed since lifeboat installed ${kept.length === 1 ? 'it' : 'them'} and ${kept.length === 1 ? 'was' : 'were'} left in place (disabled); remove ${kept.length === 1 ? 'it' : 'them'} by hand or put ${kept.length === 1 ? 'it' : 'them'} back as generated`,
  );
}
