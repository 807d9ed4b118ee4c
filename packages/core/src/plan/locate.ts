import { existsSync } from 'node:fs';
import path from 'node:path';
// Lean: `wal push` and `wal get` find the plan with this before loading anything else (lean.ts).
import { UsageError } from '../errors.js';

const DEFAULT_PLAN = './lifeboat.yaml';

/**
 * `--plan FILE`, else `$LIFEBOAT_PLAN`, else `./lifeboat.yaml`, else (when
 * that does not exist and `system` does) the server's plan `system`
 * (`/etc/lifeboat/lifeboat.yaml`: systemd runs units in `/`). A relative path
 * stays as the user wrote it, because messages quote it, unless `cwd` is not
 * this process's folder, where it would open the wrong file.
 */
export function locatePlan(opts: { flag?: string; env: Record<string, string | undefined>; cwd: string; system?: string }): string {
  if (opts.flag === '') throw new UsageError('--plan needs a file name');
  const named = opts.flag ?? (opts.env['LIFEBOAT_PLAN'] || undefined);
  if (named === undefined && opts.system && !existsSync(path.resolve(opts.cwd, DEFAULT_PLAN)) && existsSync(opts.system)) return opts.system;
  const chosen = named ?? DEFAULT_PLAN;
  if (path.isAbsolute(chosen) || path.resolve(opts.cwd) === process.cwd()) return chosen;
  return path.resolve(opts.cwd, chosen);
}
