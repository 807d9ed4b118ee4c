import { isAbsolute } from 'node:path';
import type { ComponentPlan, RestoreRequest } from '@lifeboat/core';

export type Component = ComponentPlan & Record<string, unknown>;

/**
 * Where a restore goes, as the CLI says it:
 * - `drill`: `lifeboat drill` into the plan's drill target (no hooks, never production);
 * - `production`: `--to` the component's own `url` (postgres; redis over replication);
 * - `typed`: `--to` something typed (postgres, redis: a URL or env:NAME; files: a folder);
 * - `ephemeral`: redis `--to ephemeral`, a throwaway redis-server (when the plan has no drill);
 * - `dataDir`: redis `--to-dir DIR`, dump.rdb into the live server's data folder;
 * - `inPlace`: files `--in-place`, over the original paths.
 */
export type TargetKind = 'drill' | 'production' | 'typed' | 'ephemeral' | 'dataDir' | 'inPlace';

/** A target that is typed: what the field is called, what it takes, and an example. */
export interface TypedField {
  name: string;
  /** What to type, for the refusal of an empty field: `type <ask>, e.g. <example>`. */
  ask: string;
  example: string;
  /** Shown under the field. */
  hint: string;
  /** A folder: must be absolute, so it does not depend on where the TUI was started. */
  folder: boolean;
}

export interface TargetChoice {
  kind: TargetKind;
  label: string;
  /** What the engine is told; a typed target has none until typed. */
  value?: string;
  /** For a choice whose target is typed. */
  field?: TypedField;
}

export interface Owner {
  uid: number;
  gid: number;
}

export interface Chosen {
  kind: TargetKind;
  /** `--to` / `--to-dir` as given; `/` for in place. */
  value: string;
  /** `--owner` for the dump.rdb a `dataDir` restore writes; omitted, the file keeps the owner of the one it replaces. */
  owner?: Owner;
}

/** The component's own source (`url`), which is where production lives; undefined for kinds without one. */
export function productionTarget(component: Component): string | undefined {
  return typeof component.url === 'string' ? component.url : undefined;
}

export function isProduction(component: Component, target: string): boolean {
  return productionTarget(component) === target.trim();
}

/** Kinds that overwrite what production runs on, as far as the plan tells. */
export function overwritesProduction(kind: TargetKind): boolean {
  return kind === 'production' || kind === 'dataDir' || kind === 'inPlace';
}

/**
 * The component's name must be typed before any restore that is sent `--yes`:
 * it then replaces data with nothing further to refuse it (production,
 * dump.rdb, in place, and clean on any server). Production is not only the
 * plan's `url` as written: the same server typed as a URL, or under another
 * env:NAME, is production too, so clean on a typed server is asked as well.
 * A drill, a throwaway server and a new folder are never asked.
 */
export function needsConfirmation(target: Chosen, clean: boolean): boolean {
  return target.kind !== 'drill' && restoreRequest(target, clean).yes;
}

/** What typing the name confirms, as a verb phrase: `type NAME exactly to …`. */
export function confirmedAction(target: Chosen): string {
  return overwritesProduction(target.kind) ? 'restore over production' : `replace what ${target.value} holds`;
}

/** The sentence before `Type NAME to confirm:`. */
export function confirmPrompt(target: Chosen): string {
  return overwritesProduction(target.kind) ? 'This restores over production.' : `Clean is on: this replaces what ${target.value} holds, which may be production.`;
}

/**
 * `--clean` means something only for a server that holds data: a postgres
 * database (drop and recreate), a running redis loaded over replication
 * (every key replaced). A dump.rdb or a folder has nothing to clean.
 */
export function cleanApplies(component: Component, kind: TargetKind): boolean {
  return component.type !== 'files' && (kind === 'production' || kind === 'typed');
}

const URL_FIELD: TypedField = {
  name: 'target',
  ask: 'where to restore',
  example: 'env:RESTORE_URL',
  hint: 'env:NAME reads the URL from that variable, so its password never shows; a URL typed here must not hold one',
  folder: false,
};

const REDIS_SERVER_FIELD: TypedField = {
  name: 'server',
  ask: 'the server to load it into',
  example: 'redis://127.0.0.1:6390',
  hint: 'a running Redis, loaded as its master for one full sync: redis://HOST:PORT, or env:NAME holding a URL with its password (never typed here); it must be empty unless clean is on',
  folder: false,
};

const DATA_DIR_FIELD: TypedField = {
  name: 'data folder',
  ask: 'the folder the Redis server loads dump.rdb from',
  example: '/var/lib/redis',
  hint: "the server's dir setting (where its dump.rdb is); an existing dump.rdb there is replaced",
  folder: true,
};

const FOLDER_FIELD: TypedField = {
  name: 'folder',
  ask: 'the folder to restore into',
  example: '/tmp/restored',
  hint: 'made if missing; the files land under their original paths inside it, and a folder already holding any of them is refused',
  folder: true,
};

/** Where the plan's drill target puts a backup of this component, as a noun phrase. */
export function drillPlace(component: Component, target: string): string {
  if (component.type === 'redis') return 'a throwaway redis-server';
  if (component.type === 'files') return target === 'ephemeral' ? 'a temporary folder' : `the folder ${target}`;
  return target === 'ephemeral' ? 'a throwaway server' : `a scratch database on ${target}`;
}

/** The paths a files component backs up, as the plan writes them. */
export function planPaths(component: Component): string[] {
  const paths = Array.isArray(component.paths) ? (component.paths as unknown[]) : [];
  return paths.flatMap((p) => {
    const path = typeof p === 'string' ? p : (p as { path?: unknown } | null)?.path;
    return typeof path === 'string' ? [path] : [];
  });
}

/** Where the plan says a backup of this component can go, safest first, then production, then one to type. */
export function targetChoices(component: Component): TargetChoice[] {
  const choices: TargetChoice[] = [];
  const drill = component.drill;
  if (drill) {
    const kept = component.type === 'files' && drill.target !== 'ephemeral';
    choices.push({ kind: 'drill', label: `drill target: ${drillPlace(component, drill.target)}${kept ? ', left for inspection' : ', removed afterwards'}`, value: drill.target });
  }
  switch (component.type) {
    case 'redis':
      if (!drill) choices.push({ kind: 'ephemeral', label: 'a throwaway redis-server (--to ephemeral), removed afterwards', value: 'ephemeral' });
      choices.push({ kind: 'dataDir', label: "production: write dump.rdb into the server's data folder (type it)", field: DATA_DIR_FIELD });
      choices.push({ kind: 'typed', label: 'a running server: type redis://HOST:PORT or env:NAME (full sync)', field: REDIS_SERVER_FIELD });
      return choices;
    case 'files': {
      const paths = planPaths(component);
      const shown = paths.length > 0 ? ` (${paths.slice(0, 2).join(', ')}${paths.length > 2 ? ', …' : ''})` : '';
      choices.push({ kind: 'inPlace', label: `production: over the original paths${shown}`, value: '/' });
      choices.push({ kind: 'typed', label: 'type a folder to restore into (made if missing)', field: FOLDER_FIELD });
      return choices;
    }
    default: {
      const own = productionTarget(component);
      if (own) choices.push({ kind: 'production', label: `production: ${own} (the component's own)`, value: own });
      choices.push({ kind: 'typed', label: 'type a target: env:NAME, file:/path, or a URL without password', field: URL_FIELD });
      return choices;
    }
  }
}

/** Why a typed target cannot be taken, if it cannot. */
export function typedProblem(field: TypedField, value: string): string | undefined {
  if (value === '') return `type ${field.ask}, e.g. ${field.example}`;
  if (field.folder && !isAbsolute(value)) return `type the folder as an absolute path, e.g. ${field.example} (you typed "${value}")`;
  return undefined;
}

/** `--owner UID:GID` as the CLI takes it: numeric only. Empty is no owner. */
export function parseOwner(text: string): { owner?: Owner; problem?: string } {
  const value = text.trim();
  if (value === '') return {};
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) return { problem: `the owner is numeric UID:GID such as 999:999 (you typed "${value}"); leave it empty to keep the replaced file's owner` };
  return { owner: { uid: Number(m[1]), gid: Number(m[2]) } };
}

/** What `runRestore` is told for a chosen target (a drill goes to `runDrill` instead), exactly as the CLI's flags would say it. */
export function restoreRequest(target: Chosen, clean: boolean): RestoreRequest {
  switch (target.kind) {
    case 'dataDir':
      // Typing the component's name confirmed replacing the dump.rdb there (--yes).
      return { targetDir: target.value, ...(target.owner ? { owner: target.owner } : {}), inPlace: false, clean: false, yes: true };
    case 'inPlace':
      return { inPlace: true, clean: false, yes: true };
    default:
      return { target: target.value, inPlace: false, clean, yes: clean || target.kind === 'production' };
  }
}

/** The review's title: where it goes, and PRODUCTION when it overwrites what production runs on. */
export function headline(target: Chosen): string {
  switch (target.kind) {
    case 'drill':
      return 'restore into the drill target';
    case 'ephemeral':
      return 'restore into a throwaway redis-server';
    case 'dataDir':
      return `PRODUCTION restore: dump.rdb into ${target.value}`;
    case 'inPlace':
      return 'PRODUCTION restore over the original paths';
    case 'production':
      return `PRODUCTION restore into ${target.value}`;
    case 'typed':
      return `restore into ${target.value}`;
  }
}
