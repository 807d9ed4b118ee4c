// A vitest globalSetup that keeps a test run's temporary files out of the
// machine's /tmp and fails the run that leaves any behind. Every run gets a
// fresh folder as TMPDIR (workers, the built CLI the tests spawn and the
// throwaway servers all inherit it); at the end, anything still in it is a
// test or Lifeboat itself not cleaning up: listed, the run fails, and the
// folder goes.
import { readdirSync, rmSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Short: paths under it appear whole in 80-column screens and in unix socket names (at most 107 bytes).
const PREFIX = 'lbt-';
/** How long what is left may take to go away by itself at the end. */
const GRACE_MS = 10_000;

/** The pid a run's folder is named for, or undefined for a name not ours. */
function ownerPid(name) {
  const match = /^lbt-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Folders of runs whose process is gone (killed, or stopped before its teardown). */
function removeStaleRuns(parent) {
  for (const name of readdirSync(parent)) {
    const pid = ownerPid(name);
    if (pid !== undefined && pid !== process.pid && !alive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

export default async function setup() {
  const parent = tmpdir();
  removeStaleRuns(parent);
  const dir = await mkdtemp(join(parent, `${PREFIX}${process.pid}-`));
  // Like /tmp: the throwaway servers run as `postgres`, and their
  // archive_command (the built CLI) writes its temporary files here as that user.
  await chmod(dir, 0o1777);
  process.env.TMPDIR = dir;
  // Checked as vitest exits, not in a globalSetup teardown: that runs before
  // the workers stop, while worker-scoped servers still have their folders here.
  process.once('exit', () => {
    let left = readdirSync(dir).sort();
    // A detached helper a test started (a WAL prefetcher or pusher) may still be removing its own folder:
    // it gets a few seconds (a synchronous wait: nothing asynchronous runs on 'exit').
    const until = Date.now() + GRACE_MS;
    while (left.length > 0 && Date.now() < until) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      left = readdirSync(dir).sort();
    }
    rmSync(dir, { recursive: true, force: true });
    if (left.length === 0) return;
    process.stderr.write(
      `\nThis run left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} in its TMPDIR (${dir}), now removed; ` +
        `every test must remove what it makes, and Lifeboat must not leave temporary files behind:\n` +
        left.map((name) => `  ${name}\n`).join(''),
    );
    process.exitCode = 1;
  });
}
