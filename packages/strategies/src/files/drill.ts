import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { UsageError, type DrillTarget, type StrategyContext } from '@lifeboat/core';
import type { FilesConfig } from './config.js';

/**
 * A drill restores into a scratch folder, never over the originals:
 * `ephemeral` is a fresh temporary folder, removed afterwards; an absolute
 * path names a folder to restore into (empty or missing), left for inspection.
 */
export async function prepareFilesDrill(ctx: StrategyContext<FilesConfig>, target: string): Promise<DrillTarget> {
  if (target === 'ephemeral') {
    const dir = await mkdtemp(join(tmpdir(), `lifeboat-drill-${ctx.component}-`));
    return {
      request: { target: dir, clean: false, yes: false, options: {} },
      env: {},
      description: `the temporary folder ${dir}`,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  if (!isAbsolute(target)) {
    throw new UsageError(`components.${ctx.component}.drill.target for a files component is ephemeral or an absolute folder path; got ${target}`);
  }
  return {
    request: { target, clean: false, yes: false, options: {} },
    env: {},
    description: `the folder ${target}`,
    cleanup: async () => undefined,
  };
}
