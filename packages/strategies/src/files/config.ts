import { z } from 'zod';
import { globProblem } from './glob.js';

const GLOB_EXPECTED = 'a glob pattern such as *.log, /opt/app/cache/** or nginx/ssl/*.{key,pem}';

function glob() {
  return z
    .string({ error: GLOB_EXPECTED })
    .min(1, { error: GLOB_EXPECTED })
    .superRefine((pattern, ctx) => {
      const problem = globProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: `${GLOB_EXPECTED} (${problem})`, input: pattern });
    });
}

const PATH_EXPECTED = 'a path (absolute, or relative to the plan file) or a mapping { path, optional: true }';

const pathEntry = z.union(
  [
    glob(),
    z.strictObject({
      path: glob(),
      /** A path that may be absent: recorded in the manifest instead of failing the backup. */
      optional: z.boolean().default(false),
    }),
  ],
  { error: PATH_EXPECTED },
);

/**
 * The files component's own plan fields (merged with the common ones by the
 * plan loader). Paths may hold globs (`/etc/cron.d/civicq-*`); relative paths
 * are relative to the plan file's folder.
 *
 * include/exclude apply below the listed paths (a listed path is always
 * archived). A pattern without `/` matches names at any depth (`*.log`); one
 * starting with `/` matches absolute paths; any other matches the path below
 * the listed folder (`cache/**`). With `include`, only what matches is
 * archived (a matching folder with everything in it), with the folders that
 * lead to it; exclude still applies inside.
 */
export const filesConfig = z.object({
  paths: z.array(pathEntry, { error: 'a list of paths' }).min(1, { error: 'at least one path' }),
  include: z.array(glob(), { error: 'a list of glob patterns' }).default([]),
  exclude: z.array(glob(), { error: 'a list of glob patterns' }).default([]),
  /** Archive what symlinks point to instead of the links themselves. */
  followSymlinks: z.boolean({ error: 'true or false' }).default(false),
});

export type FilesConfig = z.infer<typeof filesConfig>;

/** One configured path, normalised. */
export interface PathSpec {
  /** As written in the plan, for messages. */
  written: string;
  optional: boolean;
}

export function pathSpecs(config: FilesConfig): PathSpec[] {
  return config.paths.map((entry) => (typeof entry === 'string' ? { written: entry, optional: false } : { written: entry.path, optional: entry.optional }));
}
