import { z } from 'zod';
import type { StoredArtifact } from '../events.js';
import type { SourceFacts } from '../strategy.js';

/** Bumped only for changes an older Lifeboat could misread. */
export const MANIFEST_FORMAT = 1;
export const MANIFEST_NAME = 'manifest.json';

const artifactSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.enum(['gzip', 'none']),
  encryption: z.enum(['age', 'none']).optional(),
  format: z.string(),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  component: z.string(),
  kind: z.string(),
  plan: z.object({ name: z.string(), componentHash: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  tool: z.object({ name: z.literal('lifeboat'), version: z.string() }),
  /** Destinations the backup was committed to, by plan name. */
  destinations: z.array(z.string()),
  failedDestinations: z.array(z.object({ name: z.string(), error: z.string() })).optional(),
  artifacts: z.array(artifactSchema),
  facts: z.record(z.string(), z.unknown()),
});

/** What `manifest.json` holds. It is written last: only a backup with one exists. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  component: string;
  kind: string;
  plan: { name: string; componentHash: string };
  startedAt: string;
  finishedAt: string;
  tool: { name: 'lifeboat'; version: string };
  destinations: string[];
  /** With `require: any`: destinations that failed, so the backup is known to fall short of 3-2-1. */
  failedDestinations?: Array<{ name: string; error: string }>;
  artifacts: StoredArtifact[];
  facts: SourceFacts;
}

/** Total stored bytes of a backup. */
export function manifestBytes(manifest: Manifest): number {
  return manifest.artifacts.reduce((sum, a) => sum + a.bytes, 0);
}
