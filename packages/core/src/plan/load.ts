/**
 * Finding, reading and validating `lifeboat.yaml`. Every problem in the file is
 * reported at once, as one sentence each, in the order they appear in the file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNode, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { describeError, PlanError, UsageError } from '../errors.js';
import { describeIssue, showValue } from './problems.js';
import { validatePlan, type PlanRegistry } from './schema.js';
import type { Plan } from './types.js';

export type { PlanRegistry } from './schema.js';
export { locatePlan } from './locate.js';

const PLAN_SHAPE = 'a mapping with version: 1, name, destinations and components';

/** Reads and validates a plan; `file` appears in messages as given. */
export async function loadPlan(file: string, registry: PlanRegistry): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PlanError([`plan file ${file} not found; pass --plan FILE or set LIFEBOAT_PLAN`]);
    }
    throw new PlanError([`plan file ${file} cannot be read: ${describeError(err)}`]);
  }
  return parsePlan(text, file, registry);
}

/** Validates plan text; pure but for resolving `file` to an absolute path. Throws `PlanError`. */
export function parsePlan(text: string, file: string, registry: PlanRegistry): Plan {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *defaults`) let a plan share retention or hooks between components.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    // One mistake often trips several errors on its line; the first says it best.
    const seen = new Set<number>();
    const firstPerLine = doc.errors.filter((err) => {
      const { line } = lineCounter.linePos(err.pos[0]);
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
    throw new PlanError(firstPerLine.map((err) => yamlProblem(err, file, text, lineCounter)));
  }

  let document: unknown;
  try {
    document = doc.toJS();
  } catch (err) {
    throw new PlanError([`${file}: ${describeError(err)}`]);
  }
  if (document === null || document === undefined) {
    throw new PlanError([`${file}: the file is empty; expected ${PLAN_SHAPE}`]);
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    const got = Array.isArray(document) ? 'a list' : showValue(document);
    throw new PlanError([`${file}: got ${got} at the top; expected ${PLAN_SHAPE}`]);
  }

  const result = validatePlan(document as Record<string, unknown>, registry);
  if ('issues' in result) {
    const ordered = result.issues
      // One unknown key per issue, so each sorts to where it is written.
      .flatMap((issue): z.core.$ZodIssue[] => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => ({ ...issue, keys: [key] })) : [issue]))
      .map((issue, i) => {
        const at = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys] : issue.path;
        return { issue, at: positionOf(doc, at), i };
      })
      .sort((a, b) => a.at - b.at || a.i - b.i);
    throw new PlanError(ordered.flatMap(({ issue }) => describeIssue(issue, { file, document })));
  }
  const absolute = path.resolve(file);
  return { file: absolute, dir: path.dirname(absolute), ...result.plan };
}

/** Where a path starts in the file, or where its nearest existing parent does. */
function positionOf(doc: Document, issuePath: readonly PropertyKey[]): number {
  for (let n = issuePath.length; n >= 0; n--) {
    const node: unknown = doc.getIn(issuePath.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

function yamlProblem(err: YAMLError, file: string, text: string, lineCounter: LineCounter): string {
  const { line, col } = lineCounter.linePos(err.pos[0]);
  const where = `${file}: line ${line}, column ${col}`;
  if (err.code === 'DUPLICATE_KEY') {
    // The error marks where the key starts; the key runs to its `:`.
    const written = /^("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^:#\n]*?)\s*:/.exec(text.slice(err.pos[0]))?.[1] ?? '';
    const key = written.replace(/^(["'])(.*)\1$/s, '$2');
    return `${where}: the key ${JSON.stringify(key)} appears twice in the same mapping; keep one`;
  }
  const message = (err.message.split('\n')[0] ?? '').replace(/\.$/, '');
  return `${where}: invalid YAML: ${message}`;
}

/**
 * sha256 (hex) of the component's entry as canonical JSON (keys sorted), for
 * manifests: it changes exactly when the entry's meaning does. Secret fields
 * hold references, never values, so the hash reveals nothing.
 */
export function componentHash(plan: Plan, name: string): string {
  const entry = plan.components[name];
  if (!entry) {
    throw new UsageError(`plan ${plan.name} has no component named ${JSON.stringify(name)}; it has: ${Object.keys(plan.components).join(', ')}`);
  }
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
