import type { EngineContext } from './engine/context.js';
import type { StrategyContext } from './strategy.js';

/**
 * `lifeboat doctor`: one line per check, as Nagios ranks them — ok, warning
 * (works, but look), critical (a backup or restore would fail).
 */
export type DoctorLevel = 'ok' | 'warning' | 'critical';

export interface DoctorCheck {
  level: DoctorLevel;
  /** What was checked: `source database`, `destination offsite`, `secret components.database.url`. */
  check: string;
  /** What was found, and when not ok, what to do. Never a secret. */
  detail: string;
}

/** What a strategy's `doctor` hook is given: the component's context, and the engine's for shared helpers. */
export interface DoctorContext<Config> extends StrategyContext<Config> {
  engine: EngineContext;
}

const RANK: Record<DoctorLevel, number> = { ok: 0, warning: 1, critical: 2 };

/** The worst level among the checks (ok for none). */
export function worstLevel(checks: readonly Pick<DoctorCheck, 'level'>[]): DoctorLevel {
  return checks.reduce<DoctorLevel>((worst, c) => (RANK[c.level] > RANK[worst] ? c.level : worst), 'ok');
}
