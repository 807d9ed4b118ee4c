// The modules of a package's src/ and what each imports of its own files,
// for tests that hold the layering. At run time `import type` and type-only
// specifiers vanish from the JavaScript, and lazy `import()`s cannot close a
// cycle while modules load, so cycles are looked for without them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const STATIC = /^(?:import|export)\s+(type\s+)?(?:([^;]*?)\s+from\s+)?'(\.{1,2}\/[^']+)'/gms;

/** @param {string} clause what stands between `import` and `from` */
function typeOnly(clause) {
  const named = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!named) return false;
  const names = named[1].split(',').map((s) => s.trim()).filter(Boolean);
  return names.length > 0 && names.every((s) => s.startsWith('type '));
}

/** @param {string} file @param {string} specifier */
function target(file, specifier) {
  const base = resolve(dirname(file), specifier).replace(/\.js$/, '');
  return ['.ts', '.tsx'].map((ext) => base + ext).find((f) => existsSync(f));
}

/**
 * Every non-test module under `srcDir` (paths relative to it, `/`-separated)
 * and the modules of `srcDir` it imports: those it loads at run time, or with
 * `types: true` also those it takes only types from.
 * @param {string} srcDir
 * @param {{ types?: boolean }} [options]
 * @returns {Map<string, string[]>}
 */
export function importGraph(srcDir, options = {}) {
  const files = readdirSync(srcDir, { recursive: true })
    .map(String)
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
  const graph = new Map();
  for (const file of files) {
    const full = join(srcDir, file);
    const deps = [];
    for (const [, typeKeyword, clause, specifier] of readFileSync(full, 'utf8').matchAll(STATIC)) {
      if (!options.types && (typeKeyword !== undefined || (clause !== undefined && typeOnly(clause)))) continue;
      const found = target(full, specifier);
      if (found) deps.push(relative(srcDir, found).split('\\').join('/'));
    }
    graph.set(file.split('\\').join('/'), deps);
  }
  return graph;
}

/**
 * The run-time import cycles among a package's modules, each as
 * `a.ts -> b.ts -> a.ts`; empty when there are none.
 * @param {string} srcDir
 * @returns {string[]}
 */
export function importCycles(srcDir) {
  const graph = importGraph(srcDir);
  /** @type {Map<string, 'open' | 'done'>} */
  const state = new Map();
  /** @type {string[]} */
  const path = [];
  /** @type {string[]} */
  const cycles = [];
  /** @param {string} file */
  const visit = (file) => {
    state.set(file, 'open');
    path.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') cycles.push([...path.slice(path.indexOf(dep)), dep].join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}
