/**
 * Secrets are references in the plan (`env:NAME`, `file:/path`), resolved only
 * when a strategy or adapter needs the value, so loading or printing a plan
 * never touches a secret.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { ProblemDetail } from './problems.js';

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const FILE_REF = /^file:(.+)$/s;

const SECRET_REF_EXPECTED = 'a secret reference, env:NAME or file:/path';

/** True for `env:NAME` and `file:<path>`. */
export function isSecretRef(value: string): boolean {
  return ENV_REF.test(value) || FILE_REF.test(value);
}

/**
 * For plan fields that must hold a reference, never the secret itself. A
 * literal is refused without echoing it, since it probably is the secret.
 */
export function secretRef() {
  return z.custom<string>((value) => typeof value === 'string' && isSecretRef(value), {
    error: SECRET_REF_EXPECTED,
    params: { show: 'nothing', wrong: 'holds a literal, not a reference (not shown, in case it is the secret)' } satisfies ProblemDetail,
  });
}

export interface SecretResolver {
  /**
   * The secret a reference points to; a value that is not a reference is
   * returned unchanged (some fields take literals, like a URL without a
   * password). `field` names the plan field for error messages.
   */
  resolve(value: string, field: string): Promise<string>;
}

export function createSecretResolver(opts: {
  env: Record<string, string | undefined>;
  planDir: string;
}): SecretResolver {
  return {
    async resolve(value, field) {
      const env = ENV_REF.exec(value);
      if (env) {
        const name = env[1]!;
        // Own keys only: `env:constructor` must not find Object.prototype's.
        const secret = Object.hasOwn(opts.env, name) ? opts.env[name] : undefined;
        if (secret === undefined) throw new UsageError(`${field} refers to env:${name}, which is not set`);
        // An empty variable is almost always a deployment mistake, not an empty password.
        if (secret === '') throw new UsageError(`${field} refers to env:${name}, which is empty`);
        return secret;
      }
      const file = FILE_REF.exec(value);
      if (file) return readSecretFile(file[1]!, opts.planDir, field);
      // `env:` with a bad name would otherwise be used as a literal password.
      if (value.startsWith('env:')) {
        throw new UsageError(`${field} refers to ${value}, which is not a valid reference; expected env:NAME with NAME made of letters, digits and _`);
      }
      return value;
    },
  };
}

async function readSecretFile(written: string, planDir: string, field: string): Promise<string> {
  const file = path.resolve(planDir, written);
  const shown = file === written ? `file:${written}` : `file:${written} (${file})`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${field} refers to ${shown}, which cannot be read: ${readFailure(err)}`, { cause: err });
  }
  // Editors add a final newline; the secret does not include it.
  return text.replace(/\r?\n$/, '');
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return code ?? 'unknown error';
  }
}

/**
 * The string with any URL password replaced by `***` (`postgres://app:***@db/x`,
 * also `?password=***`); unchanged when it holds none. Used both to refuse
 * passwords written in the plan and to keep them out of messages.
 */
export function hidePassword(value: string): string {
  return hideUserinfoPassword(value).replace(QUERY_PASSWORD, (_all, head: string) => `${head}***`);
}

/** True when a literal in the plan holds a password (see `hidePassword`). */
export function holdsPassword(value: string): boolean {
  return hidePassword(value) !== value;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** libpq and friends also take `?password=` / `&password=`. */
const QUERY_PASSWORD = /([?&](?:password|passwd|pwd)=)[^&#]+/gi;

/** `scheme://user:password@host`: the authority ends at the first `/`, `?` or `#`, its userinfo at its last `@`. */
function hideUserinfoPassword(value: string): string {
  const scheme = URL_SCHEME.exec(value);
  if (!scheme) return value;
  const start = scheme[0].length;
  const rest = value.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  const colon = authority.slice(0, Math.max(at, 0)).indexOf(':');
  // `user@host` and `user:@host` carry no password.
  if (at < 0 || colon < 0 || colon === at - 1) return value;
  return `${value.slice(0, start + colon + 1)}***${value.slice(start + at)}`;
}
