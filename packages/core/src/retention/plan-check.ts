/**
 * `lifeboat plan check`: can each cron schedule meet its component's RPO, and
 * does the plan's `lifecycle:` agree with its retention and legal holds? A bucket lifecycle rule acts on object age alone: it knows
 * nothing of pins, holds or manifests. So every rule is checked against what
 * Lifeboat promises to keep, and against the store's own rules and minimum
 * storage durations, as its storage type declares them (its `lifecycle`
 * capability: this file knows no store by name). Problems refuse `backup` and `prune` (exit 2); warnings and
 * notes do not (a schedule that cannot meet its RPO still backs up).
 *
 * Not checked: the count rules (`keepMonthly: 12`…), whose reach depends on
 * which backups exist, and pins, which live in the repository. Both are
 * reasons to keep expiration well beyond the longest rule.
 */
import { PlanError } from '../errors.js';
import { formatDuration } from '../duration.js';
import { formatPath } from '../plan/problems.js';
import { longestGapOver } from '../plan/schedule-gap.js';
import type { DestinationPlan, LegalHold, LifecyclePolicy, Plan } from '../plan/types.js';
import { transitionClasses, type LifecycleCapability } from '../storage-capabilities.js';
import { holdEndsAt, holdIsActive, holdStartsAt, holdStopsAt } from './holds.js';

const DAY = 86_400_000;

/** The objects an unscoped rule would also reach, in a person's words. */
const CATALOG_OBJECTS = 'manifest.json, pin.json, the repository marker lifeboat.json and the run journal under runs/';

export interface PlanCheck {
  /** Contradictions: each one sentence; any of them refuses backup and prune. */
  problems: string[];
  /** Promises the plan makes that its own settings cannot keep; they refuse nothing. */
  warnings: string[];
  /** Worth knowing, not wrong. */
  notes: string[];
}

/** Every contradiction between the plan's lifecycle rules and what it keeps, as of `now`. */
export function checkPlan(plan: Plan, now: Date): PlanCheck {
  const problems = new Set<string>();
  const notes = new Set<string>();
  const at = (path: PropertyKey[]) => `${plan.file}: ${formatPath(path)}`;

  plan.legalHolds.forEach((hold, i) => {
    if (!holdIsActive(hold, now)) notes.add(`${at(['legalHolds', i])}: the hold on ${hold.component} (${hold.reason}) ended on ${hold.until} and keeps nothing now`);
  });

  for (const [key, rule] of Object.entries(plan.lifecycle)) {
    const path = ['lifecycle', key];
    const targets = Object.values(plan.destinations).filter((d) => d.name === key || containerOf(plan, d) === key);
    for (const destination of targets) {
      if (!ownLifecycle(plan, destination)) {
        notes.add(
          `${at(path)}: destination '${destination.name}' is type ${destination.type}; ${whoHasLifecycle(plan)}, so this rule is checked against the plan but nothing applies it there`,
        );
      }
      const lifecycle = lifecycleFor(plan, destination, rule);
      for (const problem of tierProblems(rule, destination, lifecycle)) problems.add(`${at([...path, ...problem.path])}: ${problem.sentence}`);
    }
    if (rule.scope === 'bucket') {
      const problem = scopeProblem(rule, targets.map((d) => lifecycleFor(plan, d, rule)));
      if (problem) problems.add(`${at(path)}: ${problem}`);
    }
    if (rule.expireDays !== undefined) {
      for (const destination of targets) {
        for (const sentence of expiryProblems(plan, rule, rule.expireDays, destination, now)) problems.add(`${at([...path, 'expireDays'])}: ${sentence}`);
      }
    }
    for (const destination of targets) for (const note of pruneFeeNotes(plan, rule, destination)) notes.add(`${at(path)}: ${note}`);
  }
  return { problems: [...problems], warnings: scheduleWarnings(plan, now), notes: [...notes] };
}

/** A cron schedule whose longest gap between runs is longer than the RPO: status turns stale before every late run. */
function scheduleWarnings(plan: Plan, now: Date): string[] {
  const found: string[] = [];
  for (const component of Object.values(plan.components)) {
    if (component.schedule.kind !== 'cron') continue;
    const at = `${plan.file}: ${formatPath(['components', component.name])}: schedule '${component.schedule.expression}'`;
    if (component.rpo === 0) {
      found.push(`${at} runs at set times, and rpo 0 asks for every change, which only on-change meets; use on-change or an rpo the schedule can keep`);
      continue;
    }
    const gap = longestGapOver(component.schedule.expression, component.rpo, now);
    if (gap !== undefined) {
      found.push(`${at} leaves up to ${formatDuration(gap)} between runs, longer than its rpo of ${formatDuration(component.rpo)}; run it more often or raise the rpo`);
    }
  }
  return found;
}

/** Throws the problems as a PlanError (exit 2): what `backup` and `prune` call before they start. */
export function assertPlanAgrees(plan: Plan, now: Date): PlanCheck {
  const check = checkPlan(plan, now);
  if (check.problems.length > 0) throw new PlanError(check.problems);
  return check;
}

/** The lifecycle capability of the destination's own storage type, if it has one. */
function ownLifecycle(plan: Plan, destination: DestinationPlan): LifecycleCapability | undefined {
  return plan.storageCapabilities[destination.type]?.lifecycle;
}

/** Every registered storage type's lifecycle capability. */
function registeredLifecycles(plan: Plan): LifecycleCapability[] {
  return Object.values(plan.storageCapabilities).flatMap((c) => (c.lifecycle ? [c.lifecycle] : []));
}

/** `only S3 buckets have lifecycle rules`, from the registered types that have them. */
function whoHasLifecycle(plan: Plan): string {
  const holders = [...new Set(registeredLifecycles(plan).map((l) => l.holders))];
  return holders.length > 0 ? `only ${holders.join(' and ')} have lifecycle rules` : 'no storage type has lifecycle rules';
}

/**
 * The store's rules a lifecycle rule on `destination` is checked against: its
 * own type's; for a type without any (an fs folder), those of the registered
 * type whose classes the rule names, as that store would apply it.
 */
function lifecycleFor(plan: Plan, destination: DestinationPlan, rule: LifecyclePolicy): LifecycleCapability | undefined {
  return (
    ownLifecycle(plan, destination) ??
    registeredLifecycles(plan).find((l) => rule.transitions.every((t) => transitionClasses(l).includes(t.class)))
  );
}

/** The container a rule may be keyed by (an s3 destination's bucket), when the destination's type has lifecycle rules. */
function containerOf(plan: Plan, destination: DestinationPlan): unknown {
  const lifecycle = ownLifecycle(plan, destination);
  return lifecycle ? destination[lifecycle.containerField] : undefined;
}

/** Who deletes objects when a rule expires them, for sentences. */
function deleter(lifecycle: LifecycleCapability | undefined): string {
  return lifecycle?.provider ?? 'the rule';
}

/** The class objects are written in: the destination's (an s3 destination's `storageClass`), else the store's first. */
function initialClass(destination: DestinationPlan, lifecycle: LifecycleCapability): string {
  const written = lifecycle.writeClassField === undefined ? undefined : destination[lifecycle.writeClassField];
  return typeof written === 'string' && lifecycle.classes.includes(written) ? written : lifecycle.classes[0];
}

/**
 * Day order; then, where a store's rules apply, its class order and minimum
 * ages, and minimum storage durations counted from the previous tier.
 */
function tierProblems(rule: LifecyclePolicy, destination: DestinationPlan, lifecycle: LifecycleCapability | undefined): Array<{ path: PropertyKey[]; sentence: string }> {
  const found: Array<{ path: PropertyKey[]; sentence: string }> = [];
  let tier: { class: string; since: number; path?: PropertyKey[] } | undefined = lifecycle && { class: initialClass(destination, lifecycle), since: 0 };
  const leaving = (day: number, what: (from: string) => string, path: PropertyKey[]) => {
    if (!lifecycle || !tier) return;
    const stayed = day - tier.since;
    const minimum = lifecycle.minimumDays[tier.class] ?? 0;
    if (stayed >= minimum) return;
    const entered = tier.path ? `moving to it at day ${tier.since}` : `being written in it`;
    found.push({
      path,
      sentence: `${what(tier.class)} at day ${day}, ${stayed} day${stayed === 1 ? '' : 's'} after ${entered}; ${lifecycle.provider} bills ${tier.class} for at least ${minimum} days, so every object would pay an early-deletion fee; make it day ${tier.since + minimum} or later`,
    });
  };

  for (const [i, transition] of rule.transitions.entries()) {
    const path = ['transitions', i];
    const previous = rule.transitions[i - 1];
    if (previous && transition.days <= previous.days) {
      found.push({ path: [...path, 'days'], sentence: `day ${transition.days} is not after day ${previous.days} of the transition before it; list transitions in increasing day order` });
      continue;
    }
    if (!lifecycle || !tier) continue;
    const order = lifecycle.classes;
    const from = tier.class;
    const refused = lifecycle.refusedMoves?.some(([a, b]) => a === from && b === transition.class) === true;
    if (order.indexOf(transition.class) <= order.indexOf(from) || refused) {
      const written = tier.path ? `objects are in ${from} by then` : `objects are written as ${from}`;
      found.push({ path: [...path, 'class'], sentence: `${written} and ${lifecycle.provider} cannot move them to ${transition.class}; objects only move down ${order.join(', ')}` });
      continue;
    }
    const age = lifecycle.minimumAgeDays?.[transition.class] ?? 0;
    if (transition.days < age) {
      found.push({ path: [...path, 'days'], sentence: `${lifecycle.provider} moves objects to ${transition.class} only once they are ${age} days old; make it day ${age} or later` });
    }
    leaving(transition.days, (leaves) => `objects leave ${leaves} for ${transition.class}`, [...path, 'days']);
    tier = { class: transition.class, since: transition.days, path };
  }
  if (rule.expireDays !== undefined) {
    const last = rule.transitions.at(-1);
    if (last && rule.expireDays <= last.days) {
      found.push({ path: ['expireDays'], sentence: `objects expire at day ${rule.expireDays}, before the transition to ${last.class} at day ${last.days} could happen; expire later or drop the transition` });
    } else {
      leaving(rule.expireDays, (from) => `objects are deleted from ${from}`, ['expireDays']);
    }
  }
  return found;
}

/** An unscoped rule that archives or expires would take the catalog with it (`lifecycles`: those of the destinations it reaches). */
function scopeProblem(rule: LifecyclePolicy, lifecycles: Array<LifecycleCapability | undefined>): string | undefined {
  const archives = rule.transitions.filter((t) => lifecycles.some((l) => l?.archiveClasses.includes(t.class)));
  const actions = [
    ...(archives.length > 0 ? [`moves every object${rule.prefix ? ` under ${rule.prefix}` : ''} to ${archives.map((t) => `${t.class} (day ${t.days})`).join(' and ')}`] : []),
    ...(rule.expireDays !== undefined ? [`${archives.length > 0 ? 'deletes it' : `deletes every object${rule.prefix ? ` under ${rule.prefix}` : ''}`} at day ${rule.expireDays}`] : []),
  ];
  if (actions.length === 0) return undefined;
  const harm = [
    ...(archives.length > 0 ? ['Lifeboat could no longer read its catalog without an archive restore'] : []),
    ...(rule.expireDays !== undefined ? ['a manifest could vanish while its artifacts or pins remain, or outlive them'] : []),
  ];
  return `scope bucket ${actions.join(' and ')}, including ${CATALOG_OBJECTS}: ${harm.join('; ')}; set scope: artifacts (Lifeboat tags artifact objects lifeboat-kind=artifact and the rule filters on that tag)`;
}

/** The key prefix a component's objects have in a destination (the repository's own prefix in its bucket included). */
function componentKeyPrefix(plan: Plan, destination: DestinationPlan, component: string): string {
  const field = ownLifecycle(plan, destination)?.prefixField;
  const raw = field === undefined ? undefined : destination[field];
  const base = typeof raw === 'string' ? raw.replace(/^\/+|\/+$/g, '') : '';
  return `${base === '' ? '' : `${base}/`}${component}/`;
}

/** Whether a rule limited to `prefix` can reach a component's objects. */
function reaches(plan: Plan, rule: LifecyclePolicy, destination: DestinationPlan, component: string): boolean {
  if (rule.prefix === undefined) return true;
  const keys = componentKeyPrefix(plan, destination, component);
  return keys.startsWith(rule.prefix) || rule.prefix.startsWith(keys);
}

/** The lifecycle rules (by plan key) that act on a component's objects in a destination; `deleter` names who expires them. */
export function lifecycleRulesFor(plan: Plan, destinationName: string, component: string): Array<{ key: string; rule: LifecyclePolicy; deleter: string }> {
  const destination = plan.destinations[destinationName];
  if (!destination) return [];
  return Object.entries(plan.lifecycle)
    .filter(([key, rule]) => (destination.name === key || containerOf(plan, destination) === key) && reaches(plan, rule, destination, component))
    .map(([key, rule]) => ({ key, rule, deleter: deleter(lifecycleFor(plan, destination, rule)) }));
}

/** Components stored in `destination` that the rule reaches. */
function componentsIn(plan: Plan, rule: LifecyclePolicy, destination: DestinationPlan) {
  return Object.values(plan.components).filter((c) => c.destinations.includes(destination.name) && reaches(plan, rule, destination, c.name));
}

/** Expiration shorter than a retention `within`, or than what an active legal hold still needs. */
function expiryProblems(plan: Plan, rule: LifecyclePolicy, expireDays: number, destination: DestinationPlan, now: Date): string[] {
  const found: string[] = [];
  const deletes = `${deleter(lifecycleFor(plan, destination, rule))} deletes objects in ${destination.name} after ${expireDays} days`;
  for (const component of componentsIn(plan, rule, destination)) {
    const within = component.retention[destination.name]?.within;
    if (within !== undefined && expireDays * DAY < within) {
      found.push(
        `${deletes}, but components.${component.name}.retention.${destination.name} keeps backups within ${formatDuration(within)}; raise expireDays to at least ${Math.ceil(within / DAY)} or shorten within`,
      );
    }
    for (const hold of plan.legalHolds) {
      if (hold.component !== component.name || !holdIsActive(hold, now)) continue;
      const oldest = oldestHeldTime(hold, now);
      const needed = Math.ceil((holdEndsAt(hold) - oldest) / DAY);
      if (expireDays < needed) {
        found.push(
          `${deletes}, but the legal hold on ${component.name} (${hold.reason}) keeps ${heldWhat(hold, now)} until ${hold.until}; that needs expireDays of at least ${needed}`,
        );
      }
    }
  }
  return found;
}

/**
 * The earliest backup time the hold must protect from expiration: its `from`;
 * without one, today's backup (or the last one in range, if the range ended).
 * Backups older than that may already have been expired; the check cannot
 * know, so it asks only for what a plan can still promise.
 */
function oldestHeldTime(hold: LegalHold, now: Date): number {
  const start = holdStartsAt(hold);
  if (start !== undefined) return start;
  const stop = holdStopsAt(hold);
  return stop === undefined ? now.getTime() : Math.min(now.getTime(), stop);
}

function heldWhat(hold: LegalHold, now: Date): string {
  if (hold.from !== undefined) return `backups from ${hold.from}`;
  const stop = holdStopsAt(hold);
  if (stop !== undefined && stop < now.getTime()) return `backups up to ${hold.to}`;
  return 'backups taken today';
}

/** Prune deleting backups soon after a transition makes each of them pay an early-deletion fee: a cost, not a contradiction. */
function pruneFeeNotes(plan: Plan, rule: LifecyclePolicy, destination: DestinationPlan): string[] {
  const found: string[] = [];
  const lifecycle = lifecycleFor(plan, destination, rule);
  if (!lifecycle) return found;
  for (const component of componentsIn(plan, rule, destination)) {
    const within = component.retention[destination.name]?.within;
    if (within === undefined) continue;
    const days = within / DAY;
    const tier = rule.transitions.filter((t) => t.days <= days).at(-1);
    if (!tier) continue;
    const minimum = lifecycle.minimumDays[tier.class] ?? 0;
    if (days - tier.days < minimum) {
      found.push(
        `components.${component.name}.retention.${destination.name} lets prune delete backups once they are ${formatDuration(within)} old, ${within === tier.days * DAY ? 'the day' : `${formatDuration(within - tier.days * DAY)} after`} they move to ${tier.class} at day ${tier.days}; ${lifecycle.provider} bills ${tier.class} for ${minimum} days, so each pruned backup pays an early-deletion fee`,
      );
    }
  }
  return found;
}
