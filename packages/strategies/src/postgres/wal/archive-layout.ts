import type { StoredArtifact } from '@lifeboat/core';
import type { WalFileKind } from './wal-file.js';

/**
 * Where a component's WAL lives in each destination:
 *
 *   wal/<component>/cluster.json                                  the cluster this archive belongs to (first push writes it)
 *   wal/<component>/<systemIdentifier>/<timeline>/<file>.json     entry: sha256 of the plaintext, how it is stored (written last)
 *   wal/<component>/<systemIdentifier>/<timeline>/<file>[.gz][.age]  the stored bytes
 *
 * An entry is written only after its stored object is complete, so an object
 * without an entry is debris of an interrupted push, never a segment.
 */
export const WAL_FORMAT = 1;

export function clusterKey(component: string): string {
  return `wal/${component}/cluster.json`;
}

export function clusterPrefix(component: string, systemIdentifier: string): string {
  return `wal/${component}/${systemIdentifier}/`;
}

export function timelineDir(component: string, systemIdentifier: string, timelineHex: string): string {
  return `${clusterPrefix(component, systemIdentifier)}${timelineHex}/`;
}

export function entryKey(component: string, systemIdentifier: string, timelineHex: string, file: string): string {
  return `${timelineDir(component, systemIdentifier, timelineHex)}${file}.json`;
}

export interface ClusterMarker {
  lifeboat: 'wal-cluster';
  format: number;
  component: string;
  systemIdentifier: string;
  createdAt: string;
}

/** One archived WAL file: what restore_command checks before handing it to PostgreSQL. */
export interface WalEntry {
  lifeboat: 'wal';
  format: number;
  file: string;
  kind: WalFileKind;
  timeline: number;
  systemIdentifier: string;
  /** Plaintext size and sha256: the same file pushed again compares equal though its ciphertext differs. */
  bytes: number;
  sha256: string;
  /** Segments: xlp_seg_size from the header. */
  segmentBytes?: number;
  /** The stored object (name relative to the timeline folder), as manifests describe artifacts. */
  stored: StoredArtifact;
  archivedAt: string;
  tool: { name: 'lifeboat'; version: string };
}

export function parseEntry(text: string): WalEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<WalEntry>;
    if (value.lifeboat !== 'wal' || typeof value.sha256 !== 'string' || typeof value.file !== 'string' || !value.stored) return undefined;
    return value as WalEntry;
  } catch {
    return undefined;
  }
}

export function parseClusterMarker(text: string): ClusterMarker | undefined {
  try {
    const value = JSON.parse(text) as Partial<ClusterMarker>;
    return value.lifeboat === 'wal-cluster' && typeof value.systemIdentifier === 'string' ? (value as ClusterMarker) : undefined;
  } catch {
    return undefined;
  }
}
