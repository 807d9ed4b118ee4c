import { join } from 'node:path';
import { formatBytes, type RestoreOptionValues, type RestoreSurface } from '@lifeboat/core';
import { pathSpecs, type FilesConfig } from './config.js';

const OPTIONS = [
  { name: 'toDir', type: 'path', valueName: 'dir', description: 'the same as --to (give one of them)' },
  { name: 'inPlace', type: 'boolean', description: 'restore over the original paths (needs --yes)' },
  { name: 'owner', type: 'owner', valueName: 'uid:gid', description: 'owner of every restored path (numeric; another user needs root)' },
] as const;

/** What `request.options` holds for a files restore (checked by the engine against `OPTIONS`). */
export type FilesRestoreOptions = RestoreOptionValues<typeof OPTIONS>;

/** The paths a files component backs up, as the plan writes them. */
function planPaths(config: FilesConfig): string[] {
  return Array.isArray(config.paths) ? pathSpecs(config).map((p) => p.written) : [];
}

/** Into a folder (`--to DIR`, each file under its original path inside it), or over the originals (`--in-place --yes`). */
export const filesRestoreSurface: RestoreSurface<FilesConfig> = {
  to: { description: 'a folder', path: true },
  options: OPTIONS,
  examples: ['  $ lifeboat restore config --list', '  $ lifeboat restore config --to /tmp/config-restored'],
  targets(config) {
    const paths = planPaths(config);
    const shown = paths.length > 0 ? ` (${paths.slice(0, 2).join(', ')}${paths.length > 2 ? ', …' : ''})` : '';
    return [
      {
        kind: 'inPlace',
        label: `production: over the original paths${shown}`,
        value: '/',
        set: { options: { inPlace: true } },
        production: true,
        headline: () => 'PRODUCTION restore over the original paths',
      },
      {
        kind: 'typed',
        label: 'type a folder to restore into (made if missing)',
        fields: [
          {
            into: 'to',
            name: 'folder',
            ask: 'the folder to restore into',
            example: '/tmp/restored',
            hint: 'made if missing; the files land under their original paths inside it, and a folder already holding any of them is refused',
          },
        ],
      },
    ];
  },
  drill: (target) => (target === 'ephemeral' ? { place: 'a temporary folder', fresh: 'made' } : { place: `the folder ${target}`, kept: 'the folder' }),
  checks(manifest) {
    const facts = manifest.facts;
    const counted = (key: string, noun: string) => (typeof facts[key] === 'number' ? [`${facts[key]} ${noun}`] : []);
    const bytes = typeof facts.bytes === 'number' ? [formatBytes(facts.bytes)] : [];
    const what = [...counted('files', 'files'), ...bytes, ...counted('directories', 'folders'), ...counted('symlinks', 'symlinks')];
    return what.length > 0 ? `compare what is on disk with what the backup recorded (${what.join(', ')})` : 'run the checks the backup recorded';
  },
  describe({ config, manifest, source, chosen, live }) {
    const checks = filesRestoreSurface.checks(manifest);
    const recorded = manifest.facts.paths;
    const paths = Array.isArray(recorded) && recorded.length > 0 ? (recorded as string[]) : planPaths(config);
    if (chosen.kind === 'inPlace') {
      const shown = paths.length > 5 ? `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more` : paths.join(', ');
      return {
        restore: [
          `overwrite the original paths with ${source}: ${shown || 'as the backup recorded them'}${live}`,
          'the archive is downloaded and verified first, so a damaged backup touches nothing; files there now that the backup does not hold are left alone',
          checks,
        ],
      };
    }
    const example = paths[0] ? ` (e.g. ${join(chosen.value, paths[0])})` : '';
    return {
      restore: [
        `extract ${source} into ${chosen.value} (made if missing), each file under its original path${example}`,
        "nothing is overwritten: if the folder already holds any of the backup's paths, the restore is refused",
        checks,
      ],
    };
  },
};
