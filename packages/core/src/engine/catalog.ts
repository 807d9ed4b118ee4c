import { describeError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { Manifest } from '../repository/manifest.js';
import type { Registry } from './registry.js';

/** One committed backup, as found across the destinations that hold it. */
export interface CatalogEntry {
  id: string;
  component: string;
  manifest: Manifest;
  /** Destinations where its manifest was found, in plan order. */
  destinations: string[];
}

export interface CatalogOptions {
  /** Only this component. */
  component?: string;
  /** A destination that could not be listed (its copies are unknown), with the reason; verify and status count it as unreachable. */
  onUnreachable?: (destination: string, reason: string) => void;
  /** Unreadable destinations and damaged manifests are reported here, not thrown. */
  onWarning?: (message: string) => void;
}

/**
 * The catalog is read from the destinations themselves — no local database —
 * so any machine with the plan and credentials sees the same backups. Only
 * backups with a manifest exist here.
 */
export async function readCatalog(plan: Plan, registry: Registry, opts: CatalogOptions = {}): Promise<CatalogEntry[]> {
  const components = opts.component ? [opts.component] : Object.keys(plan.components);
  const destinations = new Set(components.flatMap((c) => registry.component(plan, c).destinations));
  const byId = new Map<string, CatalogEntry>();
  for (const name of Object.keys(plan.destinations)) {
    if (!destinations.has(name)) continue;
    const repository = registry.repository(plan, name);
    let found;
    try {
      found = await repository.manifests(opts.component, (key, reason) =>
        opts.onWarning?.(`skipping ${key} in ${repository.description}: ${reason}`),
      );
    } catch (err) {
      opts.onWarning?.(`cannot read ${repository.description}: ${describeError(err)}`);
      opts.onUnreachable?.(name, describeError(err));
      continue;
    }
    for (const { manifest } of found) {
      if (!components.includes(manifest.component)) continue;
      const key = `${manifest.component}/${manifest.id}`;
      const entry = byId.get(key);
      if (entry) entry.destinations.push(name);
      else byId.set(key, { id: manifest.id, component: manifest.component, manifest, destinations: [name] });
    }
  }
  // Ids carry whole seconds; two backups in one second are ordered by their manifest's times.
  return [...byId.values()].sort(
    (a, b) =>
      a.manifest.startedAt.localeCompare(b.manifest.startedAt) ||
      a.manifest.finishedAt.localeCompare(b.manifest.finishedAt) ||
      a.id.localeCompare(b.id) ||
      a.component.localeCompare(b.component),
  );
}
