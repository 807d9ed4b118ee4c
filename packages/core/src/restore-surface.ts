import { z } from 'zod';
import { UsageError } from './errors.js';
import type { ComponentPlan } from './plan/types.js';
import type { Manifest } from './repository/manifest.js';
import type { RestoreRequest, Strategy } from './strategy.js';

/**
 * How a restore option's value is written and checked. Each is one way to
 * parse a flag of `lifeboat restore` and one kind of field in the TUI wizard:
 * `path` is resolved against the caller's folder by the runner (and must be
 * absolute in the wizard), `owner` is numeric `UID:GID`, `count` a whole
 * number ≥ 1, `boolean` a switch, `list` one or more texts (a repeatable
 * flag: `--table a --table b`; comma-separated in the wizard).
 */
export type RestoreValueType = 'string' | 'path' | 'boolean' | 'count' | 'owner' | 'list';

export interface Owner {
  uid: number;
  gid: number;
}

type ValueOf<T extends RestoreValueType> = T extends 'boolean'
  ? boolean
  : T extends 'count'
    ? number
    : T extends 'owner'
      ? Owner
      : T extends 'list'
        ? string[]
        : string;

/** One restore option a kind takes besides `--to`, `--clean` and `--yes`. */
export interface RestoreOption {
  /** The key in `RestoreRequest.options`; the flag is its kebab-case (`toDir` → `--to-dir`). */
  name: string;
  type: RestoreValueType;
  /** The value's name in help: `--to-dir <dir>` (not for booleans). */
  valueName?: string;
  /** What it does for this kind: one line of `restore --help`. */
  description: string;
}

/** The typed values of a kind's options, from its `as const` descriptors. */
export type RestoreOptionValues<O extends readonly RestoreOption[]> = { [K in O[number] as K['name']]?: ValueOf<K['type']> };

/** What the wizard has chosen: a choice's `kind`, its value (`--to`, or what was typed first), and further typed values by option name. */
export interface ChosenTarget {
  kind: string;
  value: string;
  [option: string]: unknown;
}

/** A field the wizard asks for; what is typed goes into `--to` or one of the kind's options. */
export interface RestoreTargetField {
  /** `to`, or the name of one of the kind's options. */
  into: string;
  /** The field's label: `target`, `data folder`, `owner (UID:GID, or empty)`. */
  name: string;
  /** The wizard's step title while a field after the first is asked: `owner of dump.rdb`. */
  title?: string;
  /** For the refusal of an empty field: `type <ask>, e.g. <example>`. */
  ask: string;
  example: string;
  /** Shown under the field; may name what was typed before. */
  hint: string | ((chosen: ChosenTarget) => string);
  /** Empty is allowed, and means this (`keep the replaced file's owner`). */
  empty?: string;
  /**
   * The options the typed text sets, when it is more than the value of `into`
   * read by its option's type (`latest` sets `toLatest`, a time `toTime`);
   * throws a UsageError, the CLI's own sentence, when the text cannot be taken.
   */
  options?(text: string): Record<string, unknown>;
}

/** One place the wizard offers to restore to (the plan's drill target is offered by the wizard itself). */
export interface RestoreTargetChoice {
  /** Names the choice. `production` is the component's own target; `drill` is the wizard's. */
  kind: string;
  label: string;
  /** What the request holds for this choice before anything is typed: `{ to: 'ephemeral' }`, `{ options: { inPlace: true } }`. */
  set?: { to?: string; options?: Record<string, unknown> };
  /** Where it goes, for messages, when nothing is typed (default: `set.to`). */
  value?: string;
  /** Asked in order; the first one's text is the chosen value. */
  fields?: RestoreTargetField[];
  /** It overwrites what production runs on: PRODUCTION in the review, `--yes` in the request, and the name must be typed. */
  production?: boolean;
  /** `--clean` means something for it (a server that holds data). */
  clean?: boolean;
  /** The review's title (default: `restore into VALUE`, or `PRODUCTION restore into VALUE`). */
  headline?(chosen: ChosenTarget): string;
  /**
   * It replaces nothing: it adds beside what the target holds (a table-level
   * restore) or goes into a throwaway server; the plan's hooks do not run
   * (`Strategy.runsHooks` says false).
   */
  beside?: boolean;
  /** For a `production` choice that does not restore over it: the sentence before `Type NAME to confirm:`, and what typing it confirms. */
  confirm?: { prompt: string; action: string };
  /**
   * The strategy chooses the backup from what is typed (a restore to a point:
   * the base backup before it), not the wizard's list: the wizard asks the
   * engine (`previewRestore`) before its review, shows what it chose and any
   * refusal, and restores exactly that backup.
   */
  choosesBackup?: boolean;
  /**
   * A dry run the wizard runs before its review can be confirmed: the same
   * restore with these options added (`{ dryRun: true }`), as the CLI's
   * `--dry-run` would. The review shows what it reported; a refusal stops
   * the wizard there, before anything happens.
   */
  rehearsal?: {
    options: Record<string, unknown>;
    /** Said while it runs: `RunInstances with DryRun: proving the permissions, nothing is launched…`. */
    checking: string;
    /** The verb of the review's enter once it passed: `launch`. */
    go: string;
  };
}

/** Where the plan's drill target puts a backup of this kind, for the wizard. */
export interface DrillPlace {
  /** A noun phrase: `a throwaway redis-server`, `the folder /srv/drill`. */
  place: string;
  /** Made for the drill: `started` → "… started for this". */
  fresh?: 'made' | 'started';
  /** What is left for inspection afterwards (`the folder`); absent: it is removed. */
  kept?: string;
}

export interface RestoreDescribeInput<Config = unknown> {
  component: string;
  config: ComponentPlan & Config;
  manifest: Manifest;
  /** `backup ID (SIZE, from DESTINATION)`. */
  source: string;
  chosen: ChosenTarget;
  clean: boolean;
  /** ` — PRODUCTION, the live NAME` when the chosen target is production, else empty. */
  live: string;
}

/** What the restore does, as sentences, between the plan's hooks (which the wizard says itself). */
export interface RestoreDescription {
  /** Said instead of `no beforeRestore hooks in the plan` when the plan has none. */
  withoutBeforeHooks?: string;
  restore: string[];
  /** After the afterRestore hooks. */
  after?: string[];
}

/**
 * Everything kind-specific about restoring, which the runner's flags and help
 * and the TUI's restore wizard render without knowing the kind.
 */
export interface RestoreSurface<Config = unknown> {
  /** What `--to` means for this kind (one line of help); `path`: a folder, resolved against the caller's folder. */
  to: { description: string; path?: boolean };
  /** What `--clean` replaces for this kind (help); absent: the kind takes no `--clean`. */
  clean?: string;
  options: readonly RestoreOption[];
  /** Lines for `restore --help`'s examples. */
  examples: readonly string[];
  /** The component's own target, as `--to` would name it (its url): typed in the wizard, it is production. */
  production?(config: ComponentPlan & Config): string | undefined;
  /** The targets the wizard offers, safest first. */
  targets(config: ComponentPlan & Config): RestoreTargetChoice[];
  drill(target: string): DrillPlace;
  /** What the post-restore checks compare, from what the backup recorded. */
  checks(manifest: Manifest): string;
  describe(input: RestoreDescribeInput<Config>): RestoreDescription;
}

/** `toDir` → `--to-dir`. */
export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** How each value type is read from text (a flag, a wizard field), and what it expects, for refusals. */
export const RESTORE_VALUE_TYPES: Record<RestoreValueType, { expected: string; parse(text: string): unknown }> = {
  string: { expected: 'text', parse: (text) => (text === '' ? undefined : text) },
  path: { expected: 'a path', parse: (text) => (text === '' ? undefined : text) },
  boolean: { expected: 'true or false', parse: (text) => (text === 'true' ? true : text === 'false' ? false : undefined) },
  count: {
    expected: 'a whole number ≥ 1',
    parse: (text) => {
      const n = Number(text);
      return text.trim() !== '' && Number.isInteger(n) && n >= 1 ? n : undefined;
    },
  },
  owner: {
    expected: 'numeric UID:GID such as 999:999',
    parse: (text) => {
      const m = /^(\d+):(\d+)$/.exec(text);
      return m ? { uid: Number(m[1]), gid: Number(m[2]) } : undefined;
    },
  },
  list: {
    expected: 'one or more names (repeat the flag; comma-separated in the wizard)',
    parse: (text) => {
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      return items.length > 0 ? items : undefined;
    },
  },
};

const SCHEMAS: Record<RestoreValueType, z.ZodTypeAny> = {
  string: z.string().min(1),
  path: z.string().min(1),
  boolean: z.boolean(),
  count: z.number().int().min(1),
  owner: z.object({ uid: z.number().int().min(0), gid: z.number().int().min(0) }).strict(),
  list: z.array(z.string().min(1)).min(1),
};

/** The schema of a kind's options, from its descriptors: what `RestoreRequest.options` may hold. */
export function restoreOptionsSchema(options: readonly RestoreOption[]) {
  return z.object(Object.fromEntries(options.map((o) => [o.name, SCHEMAS[o.type].optional()]))).strict();
}

/**
 * For a kind that does not describe its restore: `--to` and `--clean`, the
 * component's `url` as production, and lines that promise nothing particular.
 */
export const DEFAULT_RESTORE_SURFACE: RestoreSurface = {
  to: { description: 'where to restore' },
  clean: 'remove what the target holds first',
  options: [],
  examples: [],
  production: (config) => {
    const { url } = config as ComponentPlan & { url?: unknown };
    return typeof url === 'string' ? url : undefined;
  },
  targets(config) {
    const own = DEFAULT_RESTORE_SURFACE.production!(config);
    return [
      ...(own ? [{ kind: 'production', label: `production: ${own} (the component's own)`, set: { to: own }, production: true, clean: true }] : []),
      {
        kind: 'typed',
        label: 'type a target: env:NAME, file:/path, or a URL without password',
        clean: true,
        fields: [
          {
            into: 'to',
            name: 'target',
            ask: 'where to restore',
            example: 'env:RESTORE_URL',
            hint: 'env:NAME reads the URL from that variable, so its password never shows; a URL typed here must not hold one',
          },
        ],
      },
    ];
  },
  drill: (target) => (target === 'ephemeral' ? { place: 'a throwaway server', fresh: 'started' } : { place: `a scratch target on ${target}` }),
  checks: () => 'run the checks the backup recorded',
  describe: ({ source, chosen, clean, live }) => ({
    restore: [
      `restore ${source} into ${chosen.value}${live}`,
      clean ? 'clean is ON: what the target holds is removed first' : 'clean is off: a target that already holds data is refused',
      'run the checks the backup recorded',
    ],
  }),
};

/** The strategy's restore surface, or the default for a kind without one. */
export function restoreSurfaceOf(strategy: Pick<Strategy, 'restoreSurface'>): RestoreSurface {
  return (strategy.restoreSurface as RestoreSurface | undefined) ?? DEFAULT_RESTORE_SURFACE;
}

/** `--to, --clean, --jobs`: what a kind takes besides `--yes`. */
export function restoreFlagsOf(surface: RestoreSurface): string[] {
  return ['--to', ...(surface.clean ? ['--clean'] : []), ...surface.options.map((o) => flagOf(o.name))];
}

/**
 * Refuses, in one sentence, an option the kind does not take or a value of
 * the wrong type, before anything is read; returns the request with its
 * options as the kind's schema reads them. Options left undefined, or a
 * switch left off, count as not given.
 */
export function checkRestoreRequest(kind: string, surface: RestoreSurface, request: RestoreRequest): RestoreRequest {
  const takes = () => `they take ${restoreFlagsOf(surface).join(', ')}`;
  if (request.clean && !surface.clean) throw new UsageError(`--clean is not a restore option of ${kind} components; ${takes()}`);
  const given = Object.fromEntries(Object.entries(request.options).filter(([, v]) => v !== undefined && v !== false));
  const foreign = Object.keys(given).find((name) => !surface.options.some((o) => o.name === name));
  if (foreign !== undefined) throw new UsageError(`${flagOf(foreign)} is not a restore option of ${kind} components; ${takes()}`);
  const parsed = restoreOptionsSchema(surface.options).safeParse(given);
  if (!parsed.success) {
    const name = String(parsed.error.issues[0]?.path[0] ?? '');
    const type = surface.options.find((o) => o.name === name)?.type ?? 'string';
    throw new UsageError(`${flagOf(name)} of a ${kind} restore expects ${RESTORE_VALUE_TYPES[type].expected}, got ${JSON.stringify(given[name])}`);
  }
  return { ...request, options: parsed.data };
}
