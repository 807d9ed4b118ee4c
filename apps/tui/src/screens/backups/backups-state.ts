import { holdCovers, holdIsActive, type CatalogEntry, type LegalHold, type RunRecord } from '@lifeboat/core';

export interface BackupsState {
  /** Newest first. */
  entries?: CatalogEntry[];
  journal: RunRecord[];
  /** Pin reasons by backup id (a person's "keep this one"). */
  pins: Record<string, string>;
  loading: boolean;
  loadStartedAt?: number;
  error?: string;
  warnings: string[];
  /** The component's destinations that could not be listed, with the reason: what they hold is unknown. */
  unreachable: Record<string, string>;
  selected: number;
}

export type BackupsAction =
  | { type: 'loading'; at: number }
  | { type: 'loaded'; entries: CatalogEntry[]; journal: RunRecord[]; pins: Record<string, string>; warnings: string[]; unreachable?: Record<string, string> }
  | { type: 'failed'; error: string }
  | { type: 'move'; by: number };

export const initialBackups: BackupsState = { journal: [], pins: {}, loading: false, warnings: [], unreachable: {}, selected: 0 };

export function backupsReducer(state: BackupsState, action: BackupsAction): BackupsState {
  switch (action.type) {
    case 'loading':
      return { ...state, loading: true, loadStartedAt: action.at };
    case 'loaded':
      return {
        ...state,
        loading: false,
        entries: [...action.entries].reverse(),
        journal: action.journal,
        pins: action.pins,
        warnings: action.warnings,
        unreachable: action.unreachable ?? {},
        selected: Math.min(state.selected, Math.max(0, action.entries.length - 1)),
      };
    case 'failed':
      return { ...state, loading: false, error: action.error };
    case 'move': {
      const count = state.entries?.length ?? 0;
      return { ...state, selected: count === 0 ? 0 : Math.min(count - 1, Math.max(0, state.selected + action.by)) };
    }
  }
}

/**
 * Where a backup's copies are, in words that stay true when a destination is
 * down: the manifest says where it was committed when taken; a destination
 * that cannot be read now is named as such, never as holding it.
 */
export function copiesText(entry: CatalogEntry, unreachable: Record<string, string>): string {
  const committed = entry.manifest.destinations.join(', ');
  const down = entry.manifest.destinations.filter((d) => unreachable[d] !== undefined);
  if (down.length === 0) return `committed to ${committed}; manifest found in ${entry.destinations.join(', ')}`;
  const found = entry.destinations.length ? `found now in ${entry.destinations.join(', ')}` : 'found now in no destination';
  return `committed to ${committed} when taken; ${found}; ${down.join(', ')} unreachable, so ${down.length === 1 ? 'that copy is' : 'those copies are'} unknown`;
}

export const selectedEntry = (state: BackupsState): CatalogEntry | undefined => state.entries?.[state.selected];

/**
 * When a full verify last re-read this backup and found it intact: a verify
 * run (not a sample) that started after the backup finished and passed for
 * its component. Undefined: never verified since it was written.
 */
export function verifiedAt(entry: CatalogEntry, journal: RunRecord[]): string | undefined {
  return journal
    .filter((r) => r.operation === 'verify' && r.startedAt >= entry.manifest.finishedAt)
    .filter((r) =>
      r.components.some((c) => c.component === entry.component && c.outcome === 'ok' && ((c.details?.samplePct as number | undefined) ?? 100) >= 100),
    )
    .map((r) => r.finishedAt)
    .sort()
    .at(-1);
}

/** The plan's legal hold that keeps this backup now, if any. */
export function heldBy(entry: CatalogEntry, holds: LegalHold[], now: Date): LegalHold | undefined {
  const finished = new Date(entry.manifest.finishedAt);
  return holds.find((h) => h.component === entry.component && holdIsActive(h, now) && holdCovers(h, finished));
}

/** A manifest's facts as lines: scalars together, each table of figures on its own line. */
export function factLines(facts: Record<string, unknown>, format: (key: string, value: number) => string): string[] {
  const scalars: string[] = [];
  const tables: string[] = [];
  for (const [key, value] of Object.entries(facts)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} ${typeof v === 'number' ? format(k, v) : String(v)}`);
      tables.push(`${key}: ${parts.join(' · ')}`);
    } else if (Array.isArray(value)) {
      scalars.push(`${key} ${value.join(', ')}`);
    } else {
      scalars.push(`${key} ${typeof value === 'number' ? format(key, value) : String(value)}`);
    }
  }
  return [...(scalars.length ? [scalars.join(' · ')] : []), ...tables];
}
