/**
 * The retention decision: which backups in one destination to keep, and why.
 * Pure — backups, policy, holds and the time in; keep and delete lists with
 * reasons out — so it can be printed before anything is touched, tested with
 * properties, and shown in a dry run exactly as it would be applied.
 *
 * A backup is kept if anything keeps it: a pin, an active legal hold, the
 * `minimum` floor, `within`, or one of the count rules. The count rules follow
 * restic's `forget`: going from the newest backup back, `keepDaily: 7` keeps
 * the newest backup of each of the 7 most recent UTC days that have backups
 * (days without backups do not count), and likewise for hours, ISO weeks,
 * months and years; `keepLast: n` keeps the n newest. Unlike restic's
 * `--keep-within`, `within` counts back from now, as the guide's
 * `find -mtime +30` does, so that it agrees with bucket lifecycle ages;
 * `minimum` is what keeps backups when new ones stop arriving.
 *
 * Two rules protect against what the times and the rules cannot see. A backup
 * dated in the future (a host's clock ran ahead) is kept, and the other rules
 * decide as if it were not there: it is never "newest", never uses up a count.
 * And the newest backup that the latest verify or drill found good is kept
 * whatever the rules say, so damaged newer backups never push out the last
 * restorable one.
 */
import { aheadOfNow } from '../clock-skew.js';
import { formatDuration } from '../duration.js';
import type { BackupVerdict } from '../journal/verdicts.js';
import type { LegalHold, RetentionPolicy } from '../plan/types.js';
import { holdCovers, holdIsActive } from './holds.js';
import { PERIOD_RULES, periodOf } from './periods.js';

export interface RetentionCandidate {
  id: string;
  /** The backup's time for every rule: when its manifest says it finished. */
  finishedAt: Date;
  /** From the backup's `pin.json`. */
  pinned?: { reason: string };
  /** A restore or drill is reading it now (its reader mark, repository-lock.ts). */
  inUse?: { reason: string };
  /** What the latest verify or drill said of it (`backupVerdicts`); absent: none has looked at it. */
  verdict?: BackupVerdict;
}

export interface RetentionInput {
  backups: readonly RetentionCandidate[];
  policy: RetentionPolicy;
  /** The holds on this backup's component (expired ones are ignored). */
  holds: readonly LegalHold[];
  now: Date;
}

export interface KeepDecision {
  id: string;
  /** Every rule that keeps it, overriding ones (pin, hold) first. */
  reasons: string[];
}

export interface DeleteDecision {
  id: string;
  reason: string;
}

/** Both lists oldest first, like `lifeboat list`. */
export interface RetentionDecision {
  keep: KeepDecision[];
  delete: DeleteDecision[];
}

const COUNT_RULES = ['keepLast', ...PERIOD_RULES] as const;

export function decideRetention(input: RetentionInput): RetentionDecision {
  const { policy, now } = input;
  const newestFirst = [...input.backups].sort((a, b) => compare(timeOf(b), timeOf(a)) || compare(b.id, a.id));
  const reasons = new Map<RetentionCandidate, string[]>(newestFirst.map((b) => [b, []]));
  const keep = (backup: RetentionCandidate, reason: string) => reasons.get(backup)!.push(reason);
  // A time that cannot be read cannot be judged; deleting on a guess is the one thing prune must not do.
  const dated = newestFirst.filter((b) => !Number.isNaN(b.finishedAt.getTime()));
  for (const backup of newestFirst) if (!dated.includes(backup)) keep(backup, 'finish time unreadable (kept to be safe)');

  for (const backup of dated) {
    if (backup.pinned) keep(backup, `pinned: ${backup.pinned.reason}`);
    if (backup.inUse) keep(backup, `in use: ${backup.inUse.reason}`);
    for (const hold of input.holds) {
      if (holdIsActive(hold, now) && holdCovers(hold, backup.finishedAt)) keep(backup, `legal hold until ${hold.until}: ${hold.reason}`);
    }
  }

  // A time ahead of the clock cannot be believed: the rules below decide as if these backups were not there.
  const future = new Set<RetentionCandidate>();
  for (const backup of dated) {
    const ahead = aheadOfNow(backup.finishedAt, now);
    if (ahead === undefined) continue;
    future.add(backup);
    keep(backup, `dated in the future (${backup.finishedAt.toISOString()}, ${formatDuration(ahead)} ahead of now): kept, check the clock of the host that wrote it`);
  }
  const real = dated.filter((b) => !future.has(b));

  newestFirst
    .filter((b) => !future.has(b))
    .slice(0, policy.minimum)
    .forEach((backup, i) => keep(backup, `${i === 0 ? 'newest' : `${ordinal(i + 1)} newest`} (minimum ${policy.minimum})`));

  const good = real.findIndex((b) => b.verdict?.good === true);
  if (good >= 0) keep(real[good]!, knownGoodReason(real[good]!, real.slice(0, good)));

  if (policy.within !== undefined) {
    for (const backup of real) {
      if (now.getTime() - backup.finishedAt.getTime() <= policy.within) keep(backup, `within ${formatDuration(policy.within)}`);
    }
  }

  if (policy.keepLast !== undefined) real.slice(0, policy.keepLast).forEach((backup, i) => keep(backup, `keepLast #${i + 1}`));

  for (const rule of PERIOD_RULES) {
    const wanted = policy[rule];
    if (wanted === undefined) continue;
    let kept = 0;
    let last: string | undefined;
    for (const backup of real) {
      if (kept >= wanted) break;
      const period = periodOf(rule, backup.finishedAt);
      // Newest first, so the first backup seen in a period is that period's newest.
      if (period === last) continue;
      last = period;
      kept += 1;
      keep(backup, `${rule} #${kept} (${period})`);
    }
  }

  const decision: RetentionDecision = { keep: [], delete: [] };
  const why = deleteReason(policy);
  for (const backup of [...newestFirst].reverse()) {
    const found = reasons.get(backup)!;
    if (found.length > 0) decision.keep.push({ id: backup.id, reasons: found });
    else decision.delete.push({ id: backup.id, reason: why });
  }
  return decision;
}

/** `older than 30d and not kept by any rule`, or the count rules that passed it by. */
function deleteReason(policy: RetentionPolicy): string {
  const counts = COUNT_RULES.filter((rule) => policy[rule] !== undefined).map((rule) => `${rule} ${policy[rule]}`);
  if (policy.within === undefined) return `not kept by ${counts.length > 0 ? counts.join(', ') : 'any rule'}`;
  const older = `older than ${formatDuration(policy.within)}`;
  return counts.length === 0 ? `${older} and not kept by any rule` : `${older} and not kept by ${counts.join(', ')}`;
}

/** `newest backup known good (verified at …)`, naming the newer backups it outlives and what is known of them. */
function knownGoodReason(backup: RetentionCandidate, newer: RetentionCandidate[]): string {
  const verdict = backup.verdict!;
  const how = `${verdict.operation === 'drill' ? 'restored by a drill' : 'verified'} at ${verdict.at}`;
  if (newer.length === 0) return `newest backup known good (${how})`;
  const states = newer.map((b) => `${b.id} (${notGood(b.verdict)})`);
  return `newest backup known good (${how}), kept whatever the rules say: newer ones are not known good: ${states.join(', ')}`;
}

function notGood(verdict: BackupVerdict | undefined): string {
  if (!verdict) return 'never verified';
  if (verdict.operation === 'drill') return `its drill failed at ${verdict.at}`;
  return `${verdict.damaged?.length ? `damaged in ${verdict.damaged.join(' and ')}` : 'damaged'} at ${verdict.at}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Unreadable times sort as the oldest. */
function timeOf(backup: RetentionCandidate): number {
  const t = backup.finishedAt.getTime();
  return Number.isNaN(t) ? -Infinity : t;
}

function compare<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
