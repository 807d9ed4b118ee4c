// Every test run gets its own temp folder (TMPDIR, which os.tmpdir() reads), removed when the run ends: what a test
// or a server it started leaves there does not pile up in /tmp run after run. Mode 1777, as /tmp: the PostgreSQL
// servers run as the `postgres` user and make their folders inside it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  // Once per run: both projects (unit, int) share it; the first one's teardown comes after both have run.
  if (process.env.LIFEBOAT_TEST_TMPDIR) return undefined;
  // Short: paths under it appear in screens 80 columns wide and in unix socket names (at most 107 bytes).
  const dir = mkdtempSync(join(tmpdir(), 'lbt-'));
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  process.env.LIFEBOAT_TEST_TMPDIR = dir;
  return () => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      process.stderr.write(`could not remove the tests' temp folder ${dir}: ${err.message}\n`);
    }
  };
}
