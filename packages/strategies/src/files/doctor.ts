import { access, constants, stat } from 'node:fs/promises';
import { describeError, type DoctorCheck, type DoctorContext } from '@lifeboat/core';
import { pathSpecs, type FilesConfig } from './config.js';
import { resolveRoots } from './roots.js';
import { readError } from './read-error.js';

/**
 * `lifeboat doctor` for a files component: every listed path exists (or is
 * optional) and this user may read it — the listed paths themselves, not
 * everything below them, which only a backup walks.
 */
export async function doctorFiles(ctx: DoctorContext<FilesConfig>): Promise<DoctorCheck[]> {
  const check = `source ${ctx.component}`;
  try {
    const { roots, missingOptional } = await resolveRoots(pathSpecs(ctx.config), ctx.planDir);
    for (const root of roots) {
      const folder = (await stat(root)).isDirectory();
      await access(root, folder ? constants.R_OK | constants.X_OK : constants.R_OK).catch((err: unknown) => {
        throw readError(err, root);
      });
    }
    const optional = missingOptional.length > 0 ? `; optional and absent: ${missingOptional.join(', ')}` : '';
    return [{ level: 'ok', check, detail: `${roots.length} listed path${roots.length === 1 ? '' : 's'} readable (${roots.join(', ')})${optional}` }];
  } catch (err) {
    return [{ level: 'critical', check, detail: describeError(err) }];
  }
}
