import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '@lifeboat/core';
import type { CommandContext } from '../main.js';
import { writeAtomically } from '../systemd/install.js';
import { kubernetesManifests } from '../kubernetes/manifests.js';
import { VERSION } from '../version.js';

/**
 * `lifeboat kubernetes generate [--image IMG] [--namespace NS] [--out DIR]`:
 * the objects as one multi-document YAML on stdout (for kubectl apply -f -),
 * or every object and the Dockerfile as files in DIR. Nothing is applied.
 */
export async function kubernetesGenerateCommand(ctx: CommandContext, opts: { image?: string; namespace?: string; out?: string }): Promise<number> {
  const plan = await ctx.loadPlan();
  const files = kubernetesManifests(plan, readFileSync(plan.file, 'utf8'), ctx.registry.strategies, {
    image: opts.image ?? `lifeboat:${VERSION}`,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  });
  if (!opts.out) {
    ctx.io.stdout.write('# lifeboat kubernetes generate: apply with kubectl apply -f -; --out DIR also writes the Dockerfile of the image.\n');
    for (const file of files.filter((f) => f.object)) ctx.io.stdout.write(`---\n${file.text}`);
    return ExitCode.ok;
  }
  const out = path.resolve(ctx.environment.cwd, opts.out);
  mkdirSync(out, { recursive: true });
  for (const file of files) writeAtomically(path.join(out, file.name), file.text);
  ctx.io.stdout.write(`wrote ${files.length} files to ${out}: ${files.map((f) => f.name).join(', ')}\n`);
  return ExitCode.ok;
}
