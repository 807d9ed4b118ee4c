import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';

// The shared vitest setup (tooling/vitest/tmp-guard.js) gives each run its own
// TMPDIR and fails the run that leaves anything in it; this proves the workers
// and what they spawn write there, not in the machine's /tmp.
describe("the test run's own TMPDIR", () => {
  it('is what os.tmpdir() answers in a worker, a fresh folder of this run', () => {
    const match = /^lbt-(\d+)-/.exec(basename(tmpdir()));
    expect(match, `os.tmpdir() is ${tmpdir()}`).not.toBeNull();
    expect([process.pid, process.ppid]).toContain(Number(match![1]));
  });

  it('is open to the postgres user like /tmp (sticky, everyone may write)', () => {
    expect(statSync(tmpdir()).mode & 0o7777).toBe(0o1777);
  });

  it('reaches a spawned process', () => {
    const seen = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())']).toString();
    expect(seen).toBe(tmpdir());
  });
});
