/**
 * A fresh folder `<TMPDIR>/<prefix>XXXXXX`. Made inside a test (or its
 * beforeEach), it goes when that test finishes; made in a describe body or
 * at a file's top level, when that block's tests are done. Not in a
 * beforeAll hook: a hook registered while tests run never runs; make the
 * folder in the describe body instead.
 */
export function scratchDir(prefix: string): string;
