import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeTree, makeConfigTree } from '@lifeboat/testkit';
import type { Strategy } from '@lifeboat/core';
import { strategyContract, type ContractSource } from '../contract/index.js';
import { filesStrategy } from './index.js';

/**
 * A files source is a folder tree like the guide's configuration (modes,
 * owners, links, empty folders, unicode names); a restore target is a folder,
 * and the restored tree is found below it at the source's absolute path.
 */
async function configSource(dir: string): Promise<ContractSource> {
  const tree = join(dir, 'opt/civicq');
  const below = (target: string) => join(target, tree);
  const compose = join(tree, 'docker-compose.production.yml');
  return {
    config: { paths: [tree] },
    env: {},
    secrets: [],
    fill: () => makeConfigTree(tree),
    measure: () => describeTree(tree),
    change: async () => writeFile(compose, (await readFile(compose, 'utf8')).replace('civicq/backend', 'civicq/backenD')),
    // A file that vanishes once the set is hashed and before tar reads it: the step reporting the hash is that moment.
    dying: async () => ({
      config: {},
      env: {},
      onEvent: (event) => {
        if (event.type === 'step' && / content hash /.test(event.message)) unlinkSync(join(tree, 'nginx/ssl/civicq.key'));
      },
      failure: /nginx\/ssl\/civicq\.key disappeared while it was being backed up/,
    }),
    target: async (state) => {
      const target = join(dir, `restored-${state}`);
      if (state === 'occupied') {
        // The same paths, one of them holding something else: a restore would overwrite it.
        await mkdir(below(target), { recursive: true });
        await cp(tree, below(target), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
        await writeFile(join(below(target), 'nginx/nginx.conf'), 'edited on the target\n');
      }
      return { request: { target }, env: {}, measure: () => describeTree(below(target)).catch(() => ({})) };
    },
    cleanup: () => rm(tree, { recursive: true, force: true }),
  };
}

strategyContract('files', {
  strategy: filesStrategy as Strategy<never>,
  source: configSource,
  confirm: { yes: true },
  stockTools: { 'files.tar.gz': { command: 'tar -tzf -', output: /opt\/civicq\/nginx\/ssl\/civicq\.key/ } },
  onChange: true,
});
