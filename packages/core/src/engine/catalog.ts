import { isDeepStrictEqual } from 'node:util';
import { describeError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { Manifest } from '../repository/manifest.js';
import type { Registry } from './registry.js';

/** One destination's copy of a backup, described by that destination's own manifest. */
export interface CatalogCopy {
  destination: string;
  manifest: Manifest;
}

/** One committed backup, as found across the destinations that hold it. */
export interface CatalogEntry {
  id: string;
  component: string;
  /** The manifest of the first copy in plan order (times, size and facts for listings). */
  manifest: Manifest;
  /** Destinations where its manifest was found, in plan order. */
  destinations: string[];
  /**
   * Every copy with its own manifest, in plan order. A copy is judged by the
   * manifest beside it: a manifest edited in one destination cannot make
   * another destination's intact copy look damaged.
   */
  copies: CatalogCopy[];
  /** Set when the copies' manifests differ: which destinations and which fields. */
  disagreement?: string;
}

/** A manifest that is there but cannot be taken for a backup (unreadable, invalid, misplaced). */
export interface DamagedManifest {
  destination: string;
  key: string;
  /** The component the key sits under. */
  component: string;
  problem: string;
}

export interface CatalogOptions {
  /** Only this component. */
  component?: string;
  /** A destination that could not be listed (its copies are unknown), with the reason; verify and status count it as unreachable. */
  onUnreachable?: (destination: string, reason: string) => void;
  /** Unreadable destinations and damaged manifests are reported here, not thrown. */
  onWarning?: (message: string) => void;
  /** Damaged manifests, for whoever counts them as damage (verify, status). */
  onDamaged?: (damaged: DamagedManifest) => void;
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
      found = await repository.manifests(opts.component, (key, reason) => {
        opts.onWarning?.(`skipping ${key} in ${repository.description}: ${reason}`);
        opts.onDamaged?.({ destination: name, key, component: key.split('/')[0]!, problem: `${key} in ${repository.description}: ${reason}` });
      });
    } catch (err) {
      opts.onWarning?.(`cannot read ${repository.description}: ${describeError(err)}`);
      opts.onUnreachable?.(name, describeError(err));
      continue;
    }
    for (const { manifest } of found) {
      if (!components.includes(manifest.component)) continue;
      const key = `${manifest.component}/${manifest.id}`;
      const entry = byId.get(key);
      if (entry) {
        entry.destinations.push(name);
        entry.copies.push({ destination: name, manifest });
      } else {
        byId.set(key, { id: manifest.id, component: manifest.component, manifest, destinations: [name], copies: [{ destination: name, manifest }] });
      }
    }
  }
  for (const entry of byId.values()) {
    const disagreement = manifestDisagreement(entry.copies);
    if (disagreement) {
      entry.disagreement = disagreement;
      opts.onWarning?.(`backup ${entry.id} of ${entry.component}: ${disagreement}`);
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

/**
 * One run writes the same manifest to every destination, so copies whose
 * manifests differ mean that one was edited or damaged. Says which fields.
 */
function manifestDisagreement(copies: readonly CatalogCopy[]): string | undefined {
  const [first, ...rest] = copies;
  if (!first) return undefined;
  const differing = rest.filter((c) => !isDeepStrictEqual(c.manifest, first.manifest));
  if (differing.length === 0) return undefined;
  const fields = new Set(differing.flatMap((c) => differingPaths(first.manifest, c.manifest, '')));
  const shown = [...fields].slice(0, 4).join(', ');
  return `the manifests in ${[first, ...differing].map((c) => `'${c.destination}'`).join(' and ')} disagree (${shown}${fields.size > 4 ? ', …' : ''}); each copy is checked against its own`;
}

function differingPaths(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const at = (k: string) => (Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
    return [...keys].flatMap((k) => differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at(k)));
  }
  return [path || 'the whole manifest'];
}
