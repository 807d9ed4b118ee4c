import { isAbsolute } from 'node:path';
import {
  RESTORE_VALUE_TYPES,
  describeError,
  type ChosenTarget,
  type ComponentPlan,
  type RestoreRequest,
  type RestoreSurface,
  type RestoreTargetChoice,
  type RestoreTargetField,
  type RestoreValueType,
} from '@lifeboat/core';

export type Component = ComponentPlan & Record<string, unknown>;

/**
 * What the wizard has chosen: a choice's `kind` (the strategy's, or `drill`
 * for `lifeboat drill` into the plan's drill target, or `production` for the
 * component's own target typed into a field), its value, and what further
 * fields held, by option name.
 */
export type Chosen = ChosenTarget;

/** Where a backup of one component can go, as its strategy's restore surface says, with the plan's drill target first. */
export interface Targets {
  component: Component;
  surface: RestoreSurface;
  /** Safest first: the drill target, then the strategy's. */
  choices: RestoreTargetChoice[];
}

export function restoreTargets(surface: RestoreSurface, component: Component): Targets {
  const drill = component.drill;
  const choices: RestoreTargetChoice[] = [];
  if (drill) {
    const { place, kept } = surface.drill(drill.target);
    choices.push({ kind: 'drill', label: `drill target: ${place}${kept ? ', left for inspection' : ', removed afterwards'}`, value: drill.target });
  }
  return { component, surface, choices: [...choices, ...surface.targets(component)] };
}

/**
 * The choice a chosen target came from. `production` is the component's own
 * target: the strategy's choice of that name, or else the choice whose field
 * is `--to`, typed as the component's own.
 */
export function choiceOf(targets: Targets, kind: string): RestoreTargetChoice {
  const found = targets.choices.find((c) => c.kind === kind);
  if (found) return found;
  const typed = kind === 'production' ? targets.choices.find((c) => c.fields?.[0]?.into === 'to') : undefined;
  if (!typed) throw new Error(`no restore target '${kind}' for ${targets.component.type} components`);
  return { ...typed, kind: 'production', production: true };
}

/** The strategy chooses the backup for this target from what was typed (a restore to a point), not the wizard's list. */
export function choosesBackup(targets: Targets, target: Chosen): boolean {
  return target.kind !== 'drill' && choiceOf(targets, target.kind).choosesBackup === true;
}

/** The dry run the wizard runs before this target's review can be confirmed (`RestoreTargetChoice.rehearsal`). */
export function rehearsalOf(targets: Targets, target: Chosen): RestoreTargetChoice['rehearsal'] {
  return target.kind === 'drill' ? undefined : choiceOf(targets, target.kind).rehearsal;
}

/** The component's own target (its url) as typed: production, whatever choice it was typed into. */
export function isProduction(targets: Targets, value: string): boolean {
  const own = targets.surface.production?.(targets.component);
  return own !== undefined && own === value.trim();
}

/** `--clean` means something for this target (a server that holds data). */
export function cleanApplies(targets: Targets, kind: string): boolean {
  return kind !== 'drill' && choiceOf(targets, kind).clean === true;
}

/** The value type of what a field takes: `--to`'s (a folder or text) or its option's. */
function fieldType(targets: Targets, field: RestoreTargetField): RestoreValueType {
  if (field.into === 'to') return targets.surface.to.path ? 'path' : 'string';
  return targets.surface.options.find((o) => o.name === field.into)?.type ?? 'string';
}

/**
 * What a typed field holds, or why it cannot be taken. A folder must be
 * absolute, so it does not depend on where the TUI was started. Empty is
 * nothing, where the field allows it.
 */
export function readField(targets: Targets, field: RestoreTargetField, text: string): { value?: unknown; problem?: string } {
  const value = text.trim();
  if (value === '') return field.empty ? {} : { problem: `type ${field.ask}, e.g. ${field.example}` };
  if (field.options) {
    // The kind reads the text itself (a point in time), with the CLI's sentence for what it cannot take.
    try {
      field.options(value);
      return { value };
    } catch (err) {
      return { problem: describeError(err) };
    }
  }
  const type = fieldType(targets, field);
  if (type === 'path' && !isAbsolute(value)) return { problem: `type the folder as an absolute path, e.g. ${field.example} (you typed "${value}")` };
  const parsed = RESTORE_VALUE_TYPES[type].parse(value);
  if (parsed === undefined) {
    return { problem: `${field.ask} is ${RESTORE_VALUE_TYPES[type].expected} (you typed "${value}")${field.empty ? `; leave it empty to ${field.empty}` : ''}` };
  }
  return { value: parsed };
}

/** What `runRestore` is told for a chosen target (a drill goes to `runDrill` instead), exactly as the CLI's flags would say it. */
export function restoreRequest(targets: Targets, target: Chosen, clean: boolean): RestoreRequest {
  const choice = choiceOf(targets, target.kind);
  const [first, ...rest] = choice.fields ?? [];
  const options: Record<string, unknown> = { ...choice.set?.options };
  const put = (field: RestoreTargetField, value: unknown) => {
    if (field.options) Object.assign(options, field.options(String(value)));
    else options[field.into] = value;
  };
  if (first && first.into !== 'to') put(first, readField(targets, first, target.value).value);
  for (const field of rest) if (target[field.into] !== undefined) put(field, target[field.into]);
  // --to is what was typed into it, or what the choice sets (a typed point goes into an option, --to stays `ephemeral`).
  const to = first?.into === 'to' ? target.value : choice.set?.to;
  const cleaned = choice.clean === true && clean;
  // Typing the component's name confirmed a restore over production (--yes), as it does clean.
  return { ...(to !== undefined ? { target: to } : {}), clean: cleaned, yes: cleaned || choice.production === true, options };
}

/**
 * The component's name must be typed before any restore that is sent `--yes`:
 * it then replaces data with nothing further to refuse it (production, and
 * clean on any server). Production is not only the plan's `url` as written:
 * the same server typed as a URL, or under another env:NAME, is production
 * too, so clean on a typed server is asked as well. A drill, a throwaway
 * server and a new folder are never asked.
 */
export function needsConfirmation(targets: Targets, target: Chosen, clean: boolean): boolean {
  return target.kind !== 'drill' && restoreRequest(targets, target, clean).yes;
}

const overwritesProduction = (targets: Targets, target: Chosen) => target.kind !== 'drill' && choiceOf(targets, target.kind).production === true;

/** What typing the name confirms, as a verb phrase: `type NAME exactly to …`. */
export function confirmedAction(targets: Targets, target: Chosen): string {
  const own = target.kind !== 'drill' ? choiceOf(targets, target.kind).confirm : undefined;
  return own?.action ?? (overwritesProduction(targets, target) ? 'restore over production' : `replace what ${target.value} holds`);
}

/** The sentence before `Type NAME to confirm:`. */
export function confirmPrompt(targets: Targets, target: Chosen): string {
  const own = target.kind !== 'drill' ? choiceOf(targets, target.kind).confirm : undefined;
  if (own) return own.prompt;
  return overwritesProduction(targets, target) ? 'This restores over production.' : `Clean is on: this replaces what ${target.value} holds, which may be production.`;
}

/** The review's title: where it goes, and PRODUCTION when it overwrites what production runs on. */
export function headline(targets: Targets, target: Chosen): string {
  if (target.kind === 'drill') return 'restore into the drill target';
  const choice = choiceOf(targets, target.kind);
  if (choice.headline) return choice.headline(target);
  return choice.production ? `PRODUCTION restore into ${target.value}` : `restore into ${target.value}`;
}
