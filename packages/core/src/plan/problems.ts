/**
 * Plan problems as sentences for people: `<file>: <path>: <what is wrong>: got
 * <value>; expected <what>`. Zod says what failed; this file says it in the
 * plan's own terms, taking the bad value from the parsed YAML (never from
 * zod, whose input may already be transformed) and never showing a password.
 *
 * Convention: an issue's `message` is always the "expected …" phrase. Issues
 * raised by our own checks carry a `ProblemDetail` in `params` for the rest.
 */
import type { z } from 'zod';
import { hidePassword } from './secret.js';

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/** The parts of a sentence beyond "expected …", for issues our own checks raise. */
export interface ProblemDetail {
  /** What is wrong, when "got X; expected Y" alone would not say it. */
  wrong?: string;
  /** What would be accepted. */
  expected?: string;
  /** Advice that replaces "expected …" when the fix is not a value. */
  advice?: string;
  /** Show the key (last path segment) as the bad value, or no value at all. */
  show?: 'value' | 'key' | 'nothing';
}

/** An issue found outside zod (dispatch by `type`, passwords), in zod's shape. */
export function problem(path: PathSegment[], detail: ProblemDetail): z.core.$ZodIssueCustom {
  return { code: 'custom', path, message: detail.expected ?? detail.wrong ?? '', params: { ...detail } };
}

/** For `superRefine`/`transform` callbacks: the same, relative to the current value. */
export function addProblem(ctx: z.RefinementCtx, detail: ProblemDetail, path: PathSegment[] = []): void {
  ctx.addIssue({ ...problem(path, detail), input: undefined });
}

/** Prepends the path of the entry that was parsed on its own. */
export function withPrefix(prefix: PathSegment[], issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
  null: 'nothing (null)',
};

/**
 * Passed to every `safeParse` of the plan: the "expected …" phrase for issues
 * whose schema gave none, including schemas written by strategies and storage
 * types. For unknown keys it lists the keys the object does accept.
 */
export const planErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? json(issue.values[0]) : `one of ${issue.values.map(json).join(', ')}`;
    case 'too_small':
      return bound(issue.origin, 'least', issue.minimum, issue.inclusive);
    case 'too_big':
      return bound(issue.origin, 'most', issue.maximum, issue.inclusive);
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue ? `text matching ${String(issue.pattern)}` : `a valid ${issue.format}`;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return knownKeys(issue.inst).join(', ');
    default:
      return undefined;
  }
};

function bound(origin: string, side: 'least' | 'most', limit: number | bigint, inclusive: boolean | undefined): string {
  const n = Number(limit);
  switch (origin) {
    case 'string':
      return side === 'least' && n === 1 ? 'non-empty text' : `text of at ${side} ${n} characters`;
    case 'array':
    case 'set':
      return side === 'least' && n === 1 ? 'a non-empty list' : `a list of at ${side} ${n} items`;
    default:
      return `a number ${side === 'least' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<'} ${n}`;
  }
}

function knownKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def;
  return def?.shape && typeof def.shape === 'object' ? Object.keys(def.shape) : [];
}

/** The sentences for one issue (several when one issue names several unknown keys). */
export function describeIssue(issue: Issue, ctx: { file: string; document: unknown }): string[] {
  const where = (path: readonly PathSegment[]) => (path.length === 0 ? `${ctx.file}: ` : `${ctx.file}: ${formatPath(path)}: `);

  if (issue.code === 'unrecognized_keys') {
    const known = issue.message === '' ? [] : issue.message.split(', ');
    return issue.keys.map((key) => {
      const near = closest(key, known);
      if (near !== undefined) return `${where(issue.path)}unknown key ${json(key)} (did you mean ${json(near)}?)`;
      return `${where(issue.path)}unknown key ${json(key)}${known.length > 0 ? `; expected one of ${known.join(', ')}` : ''}`;
    });
  }

  let detail: ProblemDetail;
  if (issue.code === 'invalid_key') {
    // The key itself is the bad value; the key schema's own issue says why.
    const inner = issue.issues[0];
    detail = { wrong: 'invalid name', ...detailOf(inner), show: 'key' };
  } else {
    detail = detailOf(issue);
  }
  return [`${where(issue.path)}${tail(detail, issue.path, ctx.document)}`];
}

function detailOf(issue: Issue | undefined): ProblemDetail {
  if (!issue) return {};
  if (issue.code === 'custom' && isDetail(issue.params)) return { expected: issue.message, ...issue.params };
  return { expected: issue.message };
}

function isDetail(params: unknown): params is ProblemDetail {
  return typeof params === 'object' && params !== null;
}

function tail(detail: ProblemDetail, path: readonly PathSegment[], document: unknown): string {
  const show = detail.show ?? 'value';
  let got: string | undefined;
  if (show === 'key') {
    got = `got ${json(String(path[path.length - 1]))}`;
  } else {
    const value = valueAt(document, path);
    // A missing field is its own problem, whatever the check that noticed it.
    if (value === undefined) return [`missing`, detail.expected && `expected ${detail.expected}`].filter(Boolean).join('; ');
    if (show === 'value') got = `got ${showValue(value)}`;
  }
  const head = [detail.wrong, got].filter(Boolean).join(': ');
  const rest = detail.advice ?? (detail.expected && detail.expected !== detail.wrong ? `expected ${detail.expected}` : undefined);
  return [head, rest].filter(Boolean).join('; ');
}

/** `components.database.destinations[1]`; odd keys quoted: `components["my db"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${json(String(segment))}]`;
  }
  return out;
}

/** The value at `path` in the parsed YAML, or undefined when absent. */
export function valueAt(document: unknown, path: readonly PathSegment[]): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || typeof segment === 'symbol') return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const MAX_SHOWN = 60;

/** JSON, passwords hidden, cut to about 60 characters. */
export function showValue(value: unknown): string {
  const text = json(withoutPasswords(value));
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 3)}...`;
}

function withoutPasswords(value: unknown): unknown {
  if (typeof value === 'string') return hidePassword(value);
  if (Array.isArray(value)) return value.map(withoutPasswords);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutPasswords(v)]));
  }
  return value;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * The candidate within two edits of `word` (case-insensitive, a swap of two
 * neighbours counts as one edit), for "did you mean"; undefined when none is
 * close enough to be a likely typo.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Two edits turn any short word into another (`to` → `rto`), so ask more of short words.
  return bestDistance <= Math.min(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}
