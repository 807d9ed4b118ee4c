import type { RunRecord } from './journal.js';

/** What the latest verify or drill that looked at one backup said of it. */
export interface BackupVerdict {
  /** Restorable then: verify found at least one intact copy, or a drill restored it. */
  good: boolean;
  operation: 'verify' | 'drill';
  /** When that run finished. */
  at: string;
  /** Destinations whose copy verify found intact, and damaged (verify only). */
  intact?: string[];
  damaged?: string[];
}

/** Per backup, what verify records in a run's component details (`details.backups`). */
export type VerifiedCopies = Record<string, { intact: string[]; damaged: string[] }>;

/**
 * The latest verdict on each backup of a component, from the run journal
 * (oldest first, as `readJournal` returns it): a later run's word replaces an
 * earlier one's. A verify that read only some copies (`--sample`) judges by
 * those. A failed drill is not proof of damage, but it is no proof of a good
 * backup either, so it counts as not good. Backups no run has looked at are absent.
 */
export function backupVerdicts(journal: readonly RunRecord[], component: string): Map<string, BackupVerdict> {
  const verdicts = new Map<string, BackupVerdict>();
  for (const run of journal) {
    if (run.operation !== 'verify' && run.operation !== 'drill') continue;
    for (const part of run.components) {
      if (part.component !== component) continue;
      if (run.operation === 'drill') {
        if (part.backupId !== undefined && (part.outcome === 'ok' || part.outcome === 'failed')) {
          verdicts.set(part.backupId, { good: part.outcome === 'ok', operation: 'drill', at: run.finishedAt });
        }
        continue;
      }
      const backups = part.details?.backups as VerifiedCopies | undefined;
      for (const [id, copies] of Object.entries(backups ?? {})) {
        if (!Array.isArray(copies?.intact) || !Array.isArray(copies?.damaged)) continue;
        verdicts.set(id, { good: copies.intact.length > 0, operation: 'verify', at: run.finishedAt, intact: copies.intact, damaged: copies.damaged });
      }
    }
  }
  return verdicts;
}
