/**
 * The plan's zod schema, built from the registered strategy kinds and storage
 * types. Every object is strict: a misspelt key must not silently disable a
 * backup. Each destination and component is parsed on its own, with the schema
 * its `type` picks, so that every problem in the file is reported at once.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { addProblem, closest, planErrorMap, problem, withPrefix, type ProblemDetail } from './problems.js';
import type { LegalHold, LifecyclePolicy } from './types.js';
import { isContinuousRefusal, type ContinuousHook, type ContinuousPlan, type ContinuousRefusal } from '../continuous.js';
import { holdsPassword, secretRef } from './secret.js';
import type { DestinationCommon } from '../storage.js';
import { transitionClasses, type LifecycleCapability, type StorageCapabilities } from '../storage-capabilities.js';
import type { ComponentPlan, DestinationPlan, DrillPlan, EncryptionPlan, Hooks, NotifyChannel, Plan, PlanSchedules, Runbook, RetentionPolicy, Rule321, Schedule, Severity } from './types.js';

/** The strategy kinds and storage types a plan may use; the apps hand it in. */
export interface PlanRegistry {
  /** `continuous`: the kind's hook for `schedule: continuous` (`Strategy.continuous`); without it the kind refuses that schedule. */
  strategies: Array<{ kind: string; config: z.ZodObject<z.ZodRawShape>; continuous?: ContinuousHook<never> }>;
  storage: Array<{ type: string; config: z.ZodObject<z.ZodRawShape>; defaultMedium: string; capabilities?: StorageCapabilities }>;
}

type Issue = z.core.$ZodIssue;
type PlanBody = Omit<Plan, 'file' | 'dir'>;
type ComponentEntry = Plan['components'][string];

/** Keys planned for later versions: refused rather than ignored, so no one believes they are enforced. */
const NOT_YET_SUPPORTED: readonly string[] = [];

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_EXPECTED = 'a name of lowercase letters, digits, - and _ that starts with a letter or digit';
const DURATION_EXPECTED = 'a duration such as 30d, 24h or 15m';
const SCHEDULE_EXPECTED = 'a 5-field cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week) or on-change';

function name() {
  return z.string({ error: NAME_EXPECTED }).regex(NAME, { error: NAME_EXPECTED });
}

/** Components are top-level folders of the repository, beside its own `wal/`, `runs/` and `locks/`. */
const RESERVED_COMPONENTS = ['wal', 'runs', 'locks'];
function componentName() {
  return name().refine((n) => !RESERVED_COMPONENTS.includes(n), {
    error: `a name other than ${RESERVED_COMPONENTS.join(', ')} (the repository keeps its own folders under those)`,
  });
}

/** `0` is accepted as a number too: YAML reads `rpo: 0` as one. */
function duration(opts: { zero: boolean }) {
  return z.unknown().transform((value, ctx) => {
    const ms = typeof value === 'string' ? parseDuration(value) : value === 0 ? 0 : undefined;
    if (ms === undefined) {
      addProblem(ctx, { expected: DURATION_EXPECTED });
      return z.NEVER;
    }
    if (ms === 0 && !opts.zero) {
      addProblem(ctx, { expected: 'a duration longer than 0, such as 4h' });
      return z.NEVER;
    }
    return ms;
  });
}

/** `continuous` is taken here and checked against the kind's hook once the whole component is read (`continuousProblem`). */
const schedule = () => z.unknown().transform((value, ctx): Schedule => {
  if (value === 'on-change' || value === 'continuous') return { kind: value };
  if (typeof value !== 'string') {
    addProblem(ctx, { expected: SCHEDULE_EXPECTED });
    return z.NEVER;
  }
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5) {
    // Croner would take seconds and `@daily`; 5 fields keeps plans readable by anyone who knows crontab.
    const wrong = fields.length === 6 ? 'has 6 fields; seconds are not supported' : `has ${fields.length} field${fields.length === 1 ? '' : 's'}`;
    addProblem(ctx, { wrong, expected: SCHEDULE_EXPECTED });
    return z.NEVER;
  }
  const expression = fields.join(' ');
  let next: Date | null;
  try {
    next = new Cron(expression, { mode: '5-part', paused: true }).nextRun();
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, '') : String(err);
    addProblem(ctx, { wrong: `not a valid cron expression (${reason})`, expected: SCHEDULE_EXPECTED });
    return z.NEVER;
  }
  if (next === null) {
    addProblem(ctx, { wrong: 'never fires (no date matches it)', expected: SCHEDULE_EXPECTED });
    return z.NEVER;
  }
  return { kind: 'cron', expression };
});

function count(min: 0 | 1) {
  const expected = min === 0 ? 'a whole number, 0 or more' : 'a whole number, 1 or more';
  return z.int({ error: expected }).min(min, { error: expected });
}

const KEEP_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

const retentionPolicy = z
  .strictObject({
    within: duration({ zero: false }).optional(),
    keepLast: count(0).optional(),
    keepHourly: count(0).optional(),
    keepDaily: count(0).optional(),
    keepWeekly: count(0).optional(),
    keepMonthly: count(0).optional(),
    keepYearly: count(0).optional(),
    /** Never delete below this many complete backups. */
    minimum: count(1).default(1),
  })
  .superRefine((policy, ctx) => {
    if (policy.within === undefined && KEEP_RULES.every((rule) => policy[rule] === undefined)) {
      addProblem(ctx, { wrong: 'keeps nothing', expected: `at least one of within, ${KEEP_RULES.join(', ')}` });
    }
  }) satisfies z.ZodType<RetentionPolicy>;

const commands = z
  .array(
    z.string({ error: 'a command (text)' }).refine((command) => command.trim() !== '', { error: 'a non-empty command' }),
    { error: 'a list of commands' },
  )
  .default(() => []);

const HOOK_NAMES = ['beforeBackup', 'afterBackup', 'beforeRestore', 'afterRestore'] as const;

/** `hooks:` with the four every component has, plus a kind's own (ec2: beforeImage, afterImage). */
function hooksSchema<K extends string>(extra: readonly K[]) {
  const names = [...HOOK_NAMES, ...extra];
  return z
    .strictObject(Object.fromEntries(names.map((name) => [name, commands])) as Record<(typeof HOOK_NAMES)[number] | K, typeof commands>, {
      error: `a mapping of ${names.join(', ')} to lists of commands`,
    })
    .default(() => Object.fromEntries(names.map((name) => [name, []])) as never);
}

const hooks = hooksSchema([]) satisfies z.ZodType<Hooks>;

/** A kind's `hooks:` field when it runs hooks of its own besides the four (a strategy's config overrides the common field). */
export function planHooks<K extends string>(extra: readonly K[]) {
  return hooksSchema(extra);
}

const drill = z.strictObject(
  {
    target: z.string({ error: 'ephemeral, or a target such as env:STAGING_DATABASE_URL' }).min(1),
    healthCheck: z.string({ error: 'an http(s) URL or a shell command' }).min(1).optional(),
  },
  { error: 'a mapping with target (and optionally healthCheck)' },
) satisfies z.ZodType<DrillPlan>;

const severity = z.enum(['sev1', 'sev2', 'sev3'], { error: 'sev1, sev2 or sev3' });
const severities = z.array(severity, { error: 'a list of severities (sev1, sev2, sev3)' }).min(1).default(() => ['sev1', 'sev2', 'sev3'] as Severity[]);
const notifyChannel = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('webhook'), url: z.string().min(1), severities }),
    z.strictObject({
      type: z.literal('email'),
      smtp: z.string({ error: 'an SMTP URL such as smtp://mail:25, or env:NAME holding one' }).min(1),
      from: z.string().min(3).default('lifeboat@localhost'),
      to: z.union([z.string().min(3).transform((to) => [to]), z.array(z.string().min(3)).min(1)], { error: 'an address or a list of addresses' }),
      severities,
    }),
    z.strictObject({ type: z.literal('ping'), url: z.string().min(1) }),
  ],
  { error: 'a channel with type webhook, email or ping' },
);
const notify = z.array(notifyChannel, { error: 'a list of channels (webhook, email, ping)' }).default(() => []) satisfies z.ZodType<NotifyChannel[]>;

const runbookStep = z.strictObject(
  {
    title: z.string().min(1),
    detail: z.string().optional(),
    command: z.string().min(1).optional(),
    action: z
      .strictObject({ type: z.enum(['backup', 'restore', 'verify', 'drill', 'status']), component: z.string().optional(), target: z.string().min(1).optional() })
      .optional(),
  },
  { error: 'a step with a title, and optionally a command or an action' },
);
const runbooks = z
  .array(
    z.strictObject({
      id: name(),
      title: z.string().min(1),
      detection: z.array(z.string()).default(() => []),
      about: z.array(z.string().min(1), { error: 'a list of component names or types' }).min(1).optional(),
      steps: z.array(runbookStep).min(1, { error: 'at least one step' }),
    }),
    { error: 'a list of runbooks (id, title, steps)' },
  )
  .default(() => []) satisfies z.ZodType<Runbook[]>;

const encryption = z.strictObject(
  {
    recipients: z
      .array(
        z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, { error: 'an age X25519 recipient (age1 followed by 58 characters, as age-keygen prints)' }),
        { error: 'a list of age recipients' },
      )
      .min(1, { error: 'at least one age recipient' }),
    identity: secretRef().optional(),
  },
  { error: 'a mapping with recipients (and identity, a secret reference, where backups are read)' },
) satisfies z.ZodType<EncryptionPlan>;

const rule321 = z.strictObject(
  { copies: count(1), media: count(1), offsite: count(0) },
  { error: 'a mapping of copies, media and offsite counts' },
) satisfies z.ZodType<Rule321>;

/** A plan-level timer: a cron expression, or `off` for none. */
function timerSchedule() {
  return z.unknown().transform((value, ctx): string => {
    if (value === 'off') return 'off';
    const parsed = planCron().safeParse(value);
    if (!parsed.success) {
      addProblem(ctx, { expected: 'a 5-field cron expression such as "30 5 * * *", or off' });
      return z.NEVER;
    }
    return parsed.data;
  });
}

const TIME_ZONE_EXPECTED = 'an IANA time zone such as UTC or Europe/Berlin';

/** What the timers `lifeboat systemd generate` writes run at (schedules.ts has the defaults). */
const schedules = z.strictObject(
  {
    timeZone: z
      .string({ error: TIME_ZONE_EXPECTED })
      .refine((zone) => isTimeZone(zone), { error: TIME_ZONE_EXPECTED })
      .optional(),
    randomizedDelay: duration({ zero: true }).optional(),
    verify: z.strictObject({ schedule: timerSchedule().optional(), sample: z.number({ error: 'a percentage between 0 and 100' }).gt(0).max(100).optional() }).optional(),
    drill: z.strictObject({ schedule: timerSchedule().optional() }).optional(),
    status: z.strictObject({ schedule: timerSchedule().optional(), prometheus: z.string().min(1).optional() }).optional(),
    prune: z.strictObject({ schedule: timerSchedule().optional() }).optional(),
    doctor: z.strictObject({ schedule: timerSchedule().optional() }).optional(),
    onChangeSafety: timerSchedule().optional(),
  },
  { error: 'a mapping of timeZone, randomizedDelay, verify, drill, status, prune, doctor and onChangeSafety' },
) satisfies z.ZodType<PlanSchedules>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const DATE_EXPECTED = 'a date such as 2028-09-03 (YYYY-MM-DD, UTC)';
const TIME_EXPECTED = 'a date such as 2026-11-03 or an ISO time such as 2026-11-03T12:00:00Z';
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A calendar date that exists (no 2026-02-30). */
function isDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return at.toISOString().slice(0, 10) === text;
}

/** Kept as written: messages quote it, and retention reads a bare date as its whole day. */
function dateOrTime() {
  return z
    .string({ error: TIME_EXPECTED })
    .refine((t) => isDate(t) || (ISO_TIME.test(t) && isDate(t.slice(0, 10)) && !Number.isNaN(Date.parse(t))), { error: TIME_EXPECTED });
}

function legalHold(components: string[] | undefined) {
  const expected = `one of the components: ${listed(components ?? [])}`;
  return z
    .strictObject(
      {
        component: z.string({ error: expected }).superRefine((component, ctx) => {
          if (components === undefined || components.includes(component)) return;
          const near = closest(component, components);
          addProblem(ctx, { wrong: 'no such component', expected: `${expected}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}` });
        }),
        from: dateOrTime().optional(),
        to: dateOrTime().optional(),
        until: z.string({ error: DATE_EXPECTED }).refine(isDate, { error: DATE_EXPECTED }),
        reason: z.string({ error: 'a reason people will read (text)' }).trim().min(1, { error: 'a reason people will read (text)' }),
      },
      { error: 'a hold with component, until and reason (and optionally from and to)' },
    )
    .superRefine((hold, ctx) => {
      if (hold.from !== undefined && hold.to !== undefined && Date.parse(hold.from) > Date.parse(hold.to)) {
        addProblem(ctx, { wrong: 'ends before it starts', expected: `a time no earlier than from (${hold.from})` }, ['to']);
      }
    }) satisfies z.ZodType<LegalHold>;
}

/**
 * A rule's schema, with the storage classes its destinations' type offers (the
 * type's `lifecycle` capability: core knows no class by name).
 */
function lifecyclePolicy(classes: readonly string[]) {
  const example = `{ days: 30, class: ${classes[0] ?? '<class>'} }`;
  const expected = `one of ${listed(classes)}`;
  const none: ProblemDetail = { wrong: 'no storage class is offered by every destination this rule reaches', advice: 'drop the transitions' };
  const transition = z.strictObject(
    {
      days: count(0),
      class: z.string({ error: expected }).refine((c) => classes.includes(c), { error: expected, ...(classes.length === 0 && { params: none }) }),
    },
    { error: `a transition such as ${example}` },
  );
  return z
    .strictObject(
      {
        scope: z
          .enum(['artifacts', 'bucket'], { error: 'artifacts (only objects Lifeboat tags lifeboat-kind=artifact) or bucket (every object)' })
          .default('bucket'),
        prefix: z.string({ error: 'an S3 key prefix (text)' }).min(1).optional(),
        transitions: z.array(transition, { error: `a list of transitions such as ${example}` }).default(() => []),
        expireDays: count(1).optional(),
      },
      { error: 'a mapping with scope, transitions and expireDays' },
    )
    .superRefine((policy, ctx) => {
      if (policy.transitions.length === 0 && policy.expireDays === undefined) {
        addProblem(ctx, { wrong: 'does nothing', expected: 'transitions, expireDays or both' });
      }
    }) satisfies z.ZodType<LifecyclePolicy>;
}

/** A destination as written, with the lifecycle capability of its type (if it has one). */
interface LifecycleTarget {
  name: string;
  lifecycle: LifecycleCapability | undefined;
  /** The value of the capability's container field (an s3 destination's bucket). */
  container: string | undefined;
}

/** What a lifecycle key may name: a destination, or the container of one whose type has lifecycle rules (what S3 attaches rules to). */
function lifecycleKeys(targets: LifecycleTarget[] | undefined, registry: PlanRegistry) {
  const known = lifecycleKeyNames(targets ?? []);
  const words = [...new Set(registry.storage.flatMap((s) => (s.capabilities?.lifecycle ? [s.capabilities.lifecycle.containerWords] : [])))];
  const expected = `a destination name${words.length > 0 ? ` or ${words.join(' or ')}` : ''}: ${listed(known)}`;
  const key = z.string().refine((k) => isLifecycleKey(k, targets), {
    error: expected,
    params: { wrong: `names no destination${words.length > 0 ? ' or bucket' : ''} of this plan`, expected, show: 'key' } satisfies ProblemDetail,
  });
  return z.record(key, z.unknown(), { error: 'a mapping of bucket or destination names to lifecycle rules' });
}

function lifecycleKeyNames(targets: LifecycleTarget[]): string[] {
  return [...new Set([...targets.map((t) => t.name), ...targets.flatMap((t) => (t.container === undefined ? [] : [t.container]))])];
}

/** Any key is taken while the destinations are unknown (already reported), so as not to pile up echoes. */
function isLifecycleKey(key: string, targets: LifecycleTarget[] | undefined): boolean {
  return targets === undefined || lifecycleKeyNames(targets).includes(key);
}

/**
 * The classes a rule keyed `key` may name: those of the types of the
 * destinations it reaches that have lifecycle rules (all of them, when it
 * reaches several); for a rule on destinations without any (an fs folder),
 * those of every registered type, since it is checked as that store would apply it.
 */
function lifecycleClasses(key: string, targets: LifecycleTarget[] | undefined, registry: PlanRegistry): readonly string[] {
  const reached = (targets ?? []).filter((t) => t.name === key || t.container === key).flatMap((t) => (t.lifecycle ? [t.lifecycle] : []));
  if (reached.length > 0) return reached.map(transitionClasses).reduce((all, classes) => all.filter((c) => classes.includes(c)));
  return [...new Set(registry.storage.flatMap((s) => (s.capabilities?.lifecycle ? transitionClasses(s.capabilities.lifecycle) : [])))];
}

/** What a component may refer to; `undefined` when unknown (already reported), so as not to pile up echoes. */
interface ComponentContext {
  /** Destinations defined at the top. */
  destinations: string[] | undefined;
  /** The destinations this component lists, for its retention keys. */
  own: string[] | undefined;
}

function listed(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

/** Common component fields; the strategy's own are merged in by `validatePlan`. */
function commonComponentShape(ctx: ComponentContext) {
  const top = ctx.destinations;
  const defined = top ? `the destinations defined at the top: ${listed(top)}` : 'destinations defined at the top';
  const destinationName = z
    .string({ error: `one of ${defined}` })
    .refine((dest) => top === undefined || top.includes(dest), { error: `one of ${defined}` });
  const own = ctx.own && [...new Set(ctx.own)];
  const retentionKey = z.string().refine((dest) => own === undefined || own.includes(dest), {
    error: `one of its destinations: ${listed(own ?? [])}`,
    params: {
      wrong: 'retention for a destination this component does not use',
      expected: `one of its destinations: ${listed(own ?? [])}`,
    } satisfies ProblemDetail,
  });

  return {
    type: z.string(),
    schedule: schedule(),
    rpo: duration({ zero: true }),
    rto: duration({ zero: false }),
    destinations: z
      .array(destinationName, { error: `a list of ${defined}` })
      .min(1, { error: `at least one of ${defined}` })
      .superRefine((names, refine) => {
        names.forEach((dest, i) => {
          if (names.indexOf(dest) !== i) addProblem(refine, { wrong: 'listed twice', expected: 'each destination once' }, [i]);
        });
      }),
    retention: z
      .record(retentionKey, retentionPolicy, { error: 'a mapping of destination names to retention policies' })
      .default(() => ({})),
    prune: z.enum(['auto', 'manual'], { error: 'auto (prune after each successful backup) or manual (only lifeboat prune)' }).default('auto'),
    hooks,
    drill: drill.optional(),
    require: z.enum(['all', 'any'], { error: 'all (every destination must succeed) or any' }).default('all'),
  };
}

const destinationCommonShape = (defaultMedium: string) => ({
  type: z.string(),
  medium: z.string({ error: 'a medium such as disk or object-storage' }).min(1).default(defaultMedium),
  offsite: z.boolean({ error: 'true or false' }).default(false),
  stallTimeout: duration({ zero: false }).optional(),
});

/** A destination as written, without the fields every destination has: what its type's own schema reads. */
function ownFields(destination: Record<string, unknown>): Record<string, unknown> {
  const common = Object.keys(destinationCommonShape(''));
  return Object.fromEntries(Object.entries(destination).filter(([key]) => !common.includes(key)));
}

/** The top level, with destinations and components left to their own schemas. */
function topSchema(registry: PlanRegistry) {
  const storageTypes = listed(registry.storage.map((s) => s.type));
  const kinds = listed(registry.strategies.map((s) => s.kind));
  return z.strictObject({
    version: z.literal(1, { error: '1 (the only plan format this version of Lifeboat reads)' }),
    name: name(),
    destinations: z
      .record(name(), z.unknown(), { error: `a mapping of destination names to destinations (type: ${storageTypes})` })
      .refine((d) => Object.keys(d).length > 0, { error: `at least one destination (type: ${storageTypes})` }),
    rule321: rule321.optional(),
    encryption: encryption.optional(),
    notify,
    runbooks,
    components: z
      .record(componentName(), z.unknown(), { error: `a mapping of component names to components (type: ${kinds})` })
      .refine((c) => Object.keys(c).length > 0, { error: `at least one component (type: ${kinds})` }),
    schedules: schedules.optional(),
    // Checked on their own below, against the components and destinations they name.
    legalHolds: z.unknown().optional(),
    lifecycle: z.unknown().optional(),
  });
}

type Parsed<T> = { ok: true; value: T } | { ok: false };

/**
 * Validates a parsed YAML document (a mapping) against the registry. Returns
 * the normalised plan, or every issue found, each with its full path.
 */
export function validatePlan(document: Record<string, unknown>, registry: PlanRegistry): { plan: PlanBody } | { issues: Issue[] } {
  const issues: Issue[] = [];
  const parse = <T>(schema: z.ZodType<T>, value: unknown, prefix: PropertyKey[]): Parsed<T> => {
    const result = schema.safeParse(value, { error: planErrorMap });
    if (result.success) return { ok: true, value: result.data };
    issues.push(...withPrefix(prefix, result.error.issues));
    return { ok: false };
  };

  const rest: Record<string, unknown> = { ...document };
  for (const key of NOT_YET_SUPPORTED) {
    if (!Object.hasOwn(rest, key)) continue;
    delete rest[key];
    issues.push(
      problem([key], {
        wrong: `${key} is not supported yet by this version of Lifeboat`,
        advice: 'remove it, since nothing would enforce it',
        show: 'nothing',
      }),
    );
  }
  const top = parse(topSchema(registry), rest, []);
  const storageCapabilities = Object.fromEntries(registry.storage.map((s) => [s.type, s.capabilities ?? {}]));

  /** Keys first; then each rule with the classes of the destinations it names (a rule with an unknown key is not read further). */
  const parseLifecycle = (value: unknown, targets: LifecycleTarget[] | undefined): Record<string, LifecyclePolicy> | undefined => {
    const keys = parse(lifecycleKeys(targets, registry).default(() => ({})), value, ['lifecycle']);
    const rules: Record<string, LifecyclePolicy> = {};
    for (const [key, rule] of entries(value) ?? []) {
      if (!isLifecycleKey(key, targets)) continue;
      const parsed = parse(lifecyclePolicy(lifecycleClasses(key, targets, registry)), rule, ['lifecycle', key]);
      if (parsed.ok) rules[key] = parsed.value;
    }
    if (!keys.ok) return undefined;
    return rules;
  };

  /** A destination or component, parsed with the schema its `type` picks. */
  const parseEntry = <T>(
    value: unknown,
    prefix: PropertyKey[],
    types: { known: Map<string, T>; what: string },
    schemaFor: (chosen: T | undefined) => z.ZodType<Record<string, unknown>>,
  ): Record<string, unknown> | undefined => {
    if (!isMapping(value)) {
      issues.push(problem(prefix, { expected: `a mapping with a type: ${listed([...types.known.keys()])}` }));
      return undefined;
    }
    const chosen = chooseType(value, types, prefix, issues);
    // With an unknown type the common fields are still checked, so one run shows every problem.
    const parsed = parse(schemaFor(chosen), value, prefix);
    return chosen && parsed.ok ? parsed.value : undefined;
  };

  const rawDestinations = entries(document['destinations']);
  const storage = { known: new Map(registry.storage.map((s) => [s.type, s])), what: 'storage types' };
  const destinations: Record<string, DestinationPlan> = {};
  for (const [destName, value] of rawDestinations ?? []) {
    const entry = parseEntry(value, ['destinations', destName], storage, (chosen) => {
      const { type, ...common } = destinationCommonShape(chosen?.defaultMedium ?? '');
      return chosen ? z.strictObject({ type, ...common, ...chosen.config.shape }) : z.looseObject(common);
    });
    if (!entry) continue;
    // Merging the shape drops the type's own cross-field checks (s3: kmsKeyId with sse: aws:kms); they run here, on its fields alone.
    const type = storage.known.get(entry['type'] as string);
    if (type && !parse(type.config, ownFields(value as Record<string, unknown>), ['destinations', destName]).ok) continue;
    destinations[destName] = { name: destName, ...(entry as DestinationCommon & Record<string, unknown>) };
  }

  // Undefined when the top has no destinations: that is reported once, not again per component.
  const destinationNames = rawDestinations && rawDestinations.length > 0 ? rawDestinations.map(([n]) => n) : undefined;
  const strategies = { known: new Map(registry.strategies.map((s) => [s.kind, s])), what: 'component types' };
  const components: Record<string, ComponentEntry> = {};
  for (const [componentName, value] of entries(document['components']) ?? []) {
    const ctx: ComponentContext = { destinations: destinationNames, own: ownDestinations(value) };
    const entry = parseEntry(value, ['components', componentName], strategies, (chosen) => {
      const { type, ...common } = commonComponentShape(ctx);
      return chosen ? z.strictObject({ type, ...common, ...chosen.config.shape }) : z.looseObject(common);
    });
    // The merged shape's inferred type is loose: strategy shapes are only known at run time.
    if (!entry) continue;
    const component: ComponentEntry = { name: componentName, ...(entry as Omit<ComponentPlan, 'name'> & Record<string, unknown>) };
    const continuous = continuousProblem(component, strategies.known.get(component.type));
    if (continuous) issues.push(continuous);
    else components[componentName] = component;
  }

  const componentNames = entries(document['components'])?.map(([n]) => n);
  const holds = parse(
    z.array(legalHold(componentNames), { error: 'a list of holds ({ component, until, reason })' }).default(() => []),
    document['legalHolds'],
    ['legalHolds'],
  );
  const lifecycleTargets = rawDestinations?.map(([n, d]): LifecycleTarget => {
    const lifecycle = isMapping(d) ? storage.known.get(d['type'] as string)?.capabilities?.lifecycle : undefined;
    const container = lifecycle && isMapping(d) ? d[lifecycle.containerField] : undefined;
    return { name: n, lifecycle, container: typeof container === 'string' ? container : undefined };
  });
  const rules = parseLifecycle(document['lifecycle'], lifecycleTargets);

  issues.push(...passwordsIn(document));
  if (top.ok && top.value.rule321) issues.push(...unmeetableRule(top.value.rule321, components, destinations));
  if (top.ok) issues.push(...unknownRunbookComponents(top.value.runbooks, document['components']));

  if (issues.length > 0 || !top.ok || !holds.ok || !rules) return { issues: onePerPath(issues) };
  const { version, rule321: rule, encryption: crypt, notify: channels, runbooks: books, schedules: timers } = top.value;
  return {
    plan: { version, name: top.value.name, destinations, ...(rule ? { rule321: rule } : {}), ...(crypt ? { encryption: crypt } : {}), ...(timers ? { schedules: timers } : {}), notify: channels, runbooks: books, components, legalHolds: holds.value, lifecycle: rules, storageCapabilities },
  };
}

/**
 * A component with `schedule: continuous` whose kind cannot keep it backed up
 * all the time: accepted, it would be a component nothing ever backs up.
 */
function continuousProblem(component: ComponentEntry, kind: PlanRegistry['strategies'][number] | undefined): Issue | undefined {
  if (component.schedule.kind !== 'continuous') return undefined;
  const path = ['components', component.name, 'schedule'];
  const answer = (kind?.continuous as ((c: ComponentEntry) => ContinuousPlan | ContinuousRefusal) | undefined)?.(component);
  if (answer === undefined) {
    return problem(path, { wrong: `'continuous' is not something type ${component.type} can do`, advice: 'use a cron expression or on-change', show: 'nothing' });
  }
  if (isContinuousRefusal(answer)) return problem(path, { wrong: `'continuous' ${answer.refused}`, advice: answer.advice ?? 'use a cron expression or on-change', show: 'nothing' });
  return undefined;
}

/** The entry's registered type, or undefined after reporting that it has none. */
function chooseType<T>(
  entry: Record<string, unknown>,
  types: { known: Map<string, T>; what: string },
  prefix: PropertyKey[],
  issues: Issue[],
): T | undefined {
  const type = entry['type'];
  const chosen = typeof type === 'string' ? types.known.get(type) : undefined;
  if (chosen) return chosen;
  const names = [...types.known.keys()];
  const near = typeof type === 'string' ? closest(type, names) : undefined;
  const suggestion = near ? ` (did you mean ${JSON.stringify(near)}?)` : '';
  issues.push(problem([...prefix, 'type'], { expected: `one of the ${types.what}: ${listed(names)}${suggestion}` }));
  return undefined;
}

function ownDestinations(component: unknown): string[] | undefined {
  if (!isMapping(component)) return undefined;
  const list = component['destinations'];
  return Array.isArray(list) && list.every((d) => typeof d === 'string') ? list : undefined;
}

const PASSWORD_WRITTEN = 'a password is written in the plan';

/**
 * A URL with a password written in a destination or component (at any depth)
 * would end up in backups of the plan, in git and in shell history.
 */
function passwordsIn(document: Record<string, unknown>): Issue[] {
  const found: Issue[] = [];
  const visit = (value: unknown, path: PropertyKey[]) => {
    if (typeof value === 'string') {
      if (holdsPassword(value)) {
        found.push(problem(path, { wrong: PASSWORD_WRITTEN, advice: 'use env:NAME or file:/path' }));
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i]));
    } else if (isMapping(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  visit(document['destinations'], ['destinations']);
  visit(document['components'], ['components']);
  return found;
}

/** A password problem says all there is to say about its field; other issues there are noise. */
function onePerPath(issues: Issue[]): Issue[] {
  const key = (issue: Issue) => JSON.stringify(issue.path.map(String));
  const isPassword = (issue: Issue) => issue.code === 'custom' && issue.params?.['wrong'] === PASSWORD_WRITTEN;
  const withPassword = new Set(issues.filter(isPassword).map(key));
  return issues.filter((issue) => isPassword(issue) || !withPassword.has(key(issue)));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entries(value: unknown): Array<[string, unknown]> | undefined {
  return isMapping(value) ? Object.entries(value) : undefined;
}

/**
 * A runbook's `about` and its steps' `action.component` name components or
 * their types; a name that matches neither would make a step act on nothing.
 */
function unknownRunbookComponents(books: Runbook[], rawComponents: unknown): Issue[] {
  const named = entries(rawComponents) ?? [];
  const names = named.map(([n]) => n);
  const types = [...new Set(named.flatMap(([, c]) => (isMapping(c) && typeof c['type'] === 'string' ? [c['type']] : [])))];
  const known = [...names, ...types.filter((t) => !names.includes(t))];
  const expected = `a component of this plan or a type of one: ${listed(known)}`;
  const found: Issue[] = [];
  const check = (value: string | undefined, path: PropertyKey[]) => {
    if (value === undefined || known.includes(value)) return;
    const near = closest(value, known);
    found.push(problem(path, { wrong: 'no such component or type', expected: `${expected}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}` }));
  };
  books.forEach((book, i) => {
    book.about?.forEach((value, j) => check(value, ['runbooks', i, 'about', j]));
    book.steps.forEach((step, j) => check(step.action?.component, ['runbooks', i, 'steps', j, 'action', 'component']));
  });
  return found;
}

/**
 * A plan that states a 3-2-1 rule its own destinations cannot meet is refused:
 * every backup of such a component would be non-compliant by construction.
 * Copies count the live data; media and offsite count the destinations.
 */
function unmeetableRule(rule: Rule321, components: Record<string, ComponentEntry>, destinations: Record<string, DestinationPlan>): Issue[] {
  const found: Issue[] = [];
  for (const [name, component] of Object.entries(components)) {
    const own = component.destinations.map((d) => destinations[d]).filter((d): d is DestinationPlan => d !== undefined);
    const copies = own.length + 1;
    const media = new Set(own.map((d) => d.medium)).size;
    const offsite = own.filter((d) => d.offsite).length;
    if (copies >= rule.copies && media >= rule.media && offsite >= rule.offsite) continue;
    found.push(
      problem(['components', name, 'destinations'], {
        wrong: `with ${component.destinations.join(', ')} this component can keep at most ${copies} copies (counting the live data) on ${media} medi${media === 1 ? 'um' : 'a'} with ${offsite} offsite`,
        advice: `rule321 asks for ${rule.copies} copies, ${rule.media} media and ${rule.offsite} offsite; add a destination of another medium (offsite: true for one), or relax rule321`,
        show: 'nothing',
      }),
    );
  }
  return found;
}

/** A duration field as the plan reads them (`30d`, `24h`, `15m`), for strategies' own fields (`pitr.walRpo`). */
export function planDuration(opts: { zero: boolean }) {
  return duration(opts);
}

/** A 5-field cron expression as `schedule` reads it, without `on-change` (`pitr.baseBackups`). */
export function planCron() {
  return z.unknown().transform((value, ctx): string => {
    if (value === 'on-change' || value === 'continuous') {
      addProblem(ctx, { expected: 'a 5-field cron expression such as "0 2 * * 0" (minute hour day-of-month month day-of-week)' });
      return z.NEVER;
    }
    const parsed = schedule().safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [] } as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    return (parsed.data as { kind: 'cron'; expression: string }).expression;
  });
}
