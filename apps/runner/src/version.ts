import { createRequire } from 'node:module';

// Set by scripts/package.mjs (esbuild `define`) in a release; absent when run from the source tree.
declare const LIFEBOAT_VERSION: string | undefined;
declare const LIFEBOAT_BUILD: string | undefined;

export const VERSION: string =
  typeof LIFEBOAT_VERSION === 'string' ? LIFEBOAT_VERSION : (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Which build this is: the git commit (and date) a release was made from, or "source". */
export const BUILD: string = typeof LIFEBOAT_BUILD === 'string' ? LIFEBOAT_BUILD : 'source';

/** What `lifeboat --version` prints. */
export const VERSION_TEXT = `${VERSION} (build ${BUILD})`;
