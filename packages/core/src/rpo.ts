import type { Severity } from './plan/types.js';

/** Past this share of an RPO something is "nearing" it. */
export const WARNING_SHARE = 0.8;

export interface AgeVerdict {
  health: 'ok' | 'warning' | 'critical';
  severity?: Severity;
  /** How the age stands to the limit, for a sentence: `past its RPO of 1h`. */
  relation?: 'more than twice' | 'past' | 'nearing';
}

/**
 * How old data stands against the most a plan lets it be (a backup vs `rpo`,
 * the newest archived WAL vs `walRpo`), routed as the guide escalates:
 * sev1 past twice the limit, sev2 past it, sev3 nearing it.
 */
export function ageVerdict(ageMs: number, limitMs: number): AgeVerdict {
  if (ageMs > 2 * limitMs) return { health: 'critical', severity: 'sev1', relation: 'more than twice' };
  if (ageMs > limitMs) return { health: 'critical', severity: 'sev2', relation: 'past' };
  if (ageMs > WARNING_SHARE * limitMs) return { health: 'warning', severity: 'sev3', relation: 'nearing' };
  return { health: 'ok' };
}
