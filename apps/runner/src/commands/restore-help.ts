import { InvalidArgumentError } from 'commander';
import { RESTORE_VALUE_TYPES, flagOf, restoreSurfaceOf, type RestoreOption, type RestoreSurface, type Strategy } from '@lifeboat/core';

/** A flag of `lifeboat restore` that some kinds take: one option, described per kind. */
export interface RestoreFlag {
  option: RestoreOption;
  /** `--to-dir <dir>`, `--in-place`. */
  flags: string;
  /** `redis: …; files: …`. */
  description: string;
  /** Reads the flag's text (owner, count; a list collects each repeat); undefined for text and switches. */
  parse?: (value: string, previous: unknown) => unknown;
}

type Kinds = ReadonlyArray<Pick<Strategy<never>, 'kind' | 'restoreSurface'>>;

const surfaces = (strategies: Kinds) => strategies.map((s) => ({ kind: s.kind, surface: restoreSurfaceOf(s as Pick<Strategy, 'restoreSurface'>) }));

/** `postgres: …; redis: …` for the kinds that say something. */
function perKind(strategies: Kinds, say: (surface: RestoreSurface) => string | undefined): string {
  return surfaces(strategies)
    .flatMap(({ kind, surface }) => {
      const said = say(surface);
      return said ? [`${kind}: ${said}`] : [];
    })
    .join('; ');
}

/**
 * Every kind's restore options as flags of `lifeboat restore` (one flag per
 * option name, described per kind). Kinds that share an option name must
 * share its value type: the flag is parsed once, before the kind is known.
 */
export function restoreFlags(strategies: Kinds): RestoreFlag[] {
  const byName = new Map<string, { option: RestoreOption; kinds: string[] }>();
  for (const { kind, surface } of surfaces(strategies)) {
    for (const option of surface.options) {
      const seen = byName.get(option.name);
      if (seen && (seen.option.type !== option.type || seen.option.valueName !== option.valueName)) {
        throw new Error(`restore option ${option.name} of ${kind} is a ${option.type} <${option.valueName}>, but of ${seen.kinds[0]} a ${seen.option.type} <${seen.option.valueName}>`);
      }
      if (seen) seen.kinds.push(kind);
      else byName.set(option.name, { option, kinds: [kind] });
    }
  }
  return [...byName.values()].map(({ option, kinds }) => {
    const type = RESTORE_VALUE_TYPES[option.type];
    const parses = option.type === 'owner' || option.type === 'count';
    // A list flag is repeated (`--table a --table b`); each value is taken whole, as typed.
    const collects = option.type === 'list';
    return {
      option,
      flags: option.type === 'boolean' ? flagOf(option.name) : `${flagOf(option.name)} <${option.valueName ?? 'value'}>`,
      description: perKind(
        strategies.filter((s) => kinds.includes(s.kind)),
        (surface) => surface.options.find((o) => o.name === option.name)?.description,
      ),
      ...(parses
        ? {
            parse: (value: string) => {
              const parsed = type.parse(value);
              if (parsed === undefined) throw new InvalidArgumentError(`expected ${type.expected}, got "${value}"`);
              return parsed;
            },
          }
        : collects
          ? { parse: (value: string, previous: unknown) => [...((previous as string[] | undefined) ?? []), value] }
          : {}),
    };
  });
}

/** `restore --help`: what --to and --clean mean for each kind, and each kind's examples. */
export function restoreHelp(strategies: Kinds): { to: string; clean: string; examples: string } {
  return {
    to: perKind(strategies, (s) => s.to.description),
    clean: `replace what the target holds (${perKind(strategies, (s) => s.clean)}); needs --yes`,
    examples: ['', 'Examples:', ...surfaces(strategies).flatMap(({ surface }) => surface.examples)].join('\n'),
  };
}
