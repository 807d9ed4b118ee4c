import { createHash } from 'node:crypto';
import { describeError, type CatalogEntry, type Plan, type Registry } from '@lifeboat/core';

export interface ArtifactCheck {
  destination: string;
  artifact: string;
  ok: boolean;
  /** Why not, in one sentence; absent when ok. */
  problem?: string;
  /** Not read: the copy sits in an archive tier (a restore was requested); not counted as damage. */
  skipped?: string;
}

/**
 * Re-reads every artifact of a backup from every destination that holds it
 * and compares size and sha256 with the manifest. Damage is reported, never
 * repaired or deleted.
 */
export async function verifyChecksums(plan: Plan, registry: Registry, entry: CatalogEntry): Promise<ArtifactCheck[]> {
  const checks: ArtifactCheck[] = [];
  for (const destination of entry.destinations) {
    const repository = registry.repository(plan, destination);
    for (const artifact of entry.manifest.artifacts) {
      const key = repository.artifactKey(entry.component, entry.id, artifact.name);
      try {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of await repository.adapter.get(key)) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        const sha256 = hash.digest('hex');
        const ok = bytes === artifact.bytes && sha256 === artifact.sha256;
        checks.push({
          destination,
          artifact: artifact.name,
          ok,
          ...(ok ? {} : { problem: `${artifact.name} in ${repository.description} has ${bytes} bytes with sha256 ${sha256.slice(0, 12)}…; the manifest says ${artifact.bytes} bytes with sha256 ${artifact.sha256.slice(0, 12)}…` }),
        });
      } catch (err) {
        if (err instanceof Error && err.name === 'ArchivedCopyError') {
          checks.push({ destination, artifact: artifact.name, ok: true, skipped: describeError(err) });
          continue;
        }
        checks.push({ destination, artifact: artifact.name, ok: false, problem: `cannot read ${artifact.name} from ${repository.description}: ${describeError(err)}` });
      }
    }
  }
  return checks;
}
