// A temporary folder for one test, or for the tests of a describe block (or a
// file), removed when they are done: the test run's TMPDIR must be empty at
// its end (tmp-guard.js), so no test leaves a folder behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished, TestRunner } from 'vitest';

/**
 * A fresh folder `<TMPDIR>/<prefix>XXXXXX`. Made inside a test (or its
 * beforeEach), it goes when that test finishes; made in a describe body or
 * at a file's top level, when that block's tests are done. Not in a
 * beforeAll hook: a hook registered while tests run never runs; make the
 * folder in the describe body instead.
 * @param {string} prefix
 * @returns {string}
 */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (TestRunner.getCurrentTest() !== undefined) onTestFinished(remove);
  else afterAll(remove);
  return dir;
}
