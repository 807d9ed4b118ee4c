/** Every non-test module under `srcDir` and the modules of `srcDir` it imports (see import-graph.js). */
export function importGraph(srcDir: string, options?: { types?: boolean }): Map<string, string[]>;
/** The run-time import cycles among the modules under `srcDir`, each as `a.ts -> b.ts -> a.ts`; empty when there are none. */
export function importCycles(srcDir: string): string[];
