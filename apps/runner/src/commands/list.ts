import { formatBytes, manifestBytes, readCatalog, type CatalogEntry } from '@lifeboat/core';
import type { CommandContext } from '../main.js';

/** The JSON shape of `lifeboat list --json`: stable, documented in docs/cli.md. */
export function catalogJson(entries: CatalogEntry[]) {
  return entries.map((e) => ({
    id: e.id,
    component: e.component,
    kind: e.manifest.kind,
    startedAt: e.manifest.startedAt,
    finishedAt: e.manifest.finishedAt,
    bytes: manifestBytes(e.manifest),
    destinations: e.destinations,
    // Destinations a `require: any` backup could not be written to: short of what the plan asks.
    failedDestinations: e.manifest.failedDestinations ?? [],
    artifacts: e.manifest.artifacts.map(({ name, bytes, sha256, compression, format }) => ({ name, bytes, sha256, compression, format })),
    facts: e.manifest.facts,
  }));
}

export async function listCommand(ctx: CommandContext, component: string | undefined, opts: { json?: boolean }): Promise<number> {
  const plan = await ctx.loadPlan();
  if (component) ctx.registry.component(plan, component);
  const entries = await readCatalog(plan, ctx.registry, {
    component,
    onWarning: (message) => ctx.io.stderr.write(`lifeboat: warning: ${message}\n`),
  });
  if (opts.json) {
    ctx.io.stdout.write(JSON.stringify(catalogJson(entries), null, 2) + '\n');
    return 0;
  }
  if (entries.length === 0) {
    ctx.io.stdout.write(`no complete backups${component ? ` of ${component}` : ''} in ${plan.name}'s destinations\n`);
    return 0;
  }
  const rows = entries.map((e) => [e.id, e.component, e.manifest.finishedAt.replace(/\.\d+Z$/, 'Z'), formatBytes(manifestBytes(e.manifest)), e.destinations.join(',')]);
  const header = ['ID', 'COMPONENT', 'FINISHED', 'SIZE', 'DESTINATIONS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) ctx.io.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  return 0;
}
