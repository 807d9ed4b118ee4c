import type { Writable } from 'node:stream';

/** What a reader that went away looks like: `| head -1` (EPIPE), the terminal of a dropped SSH session (EIO). */
const READER_GONE = new Set(['EPIPE', 'EIO', 'ECONNRESET']);

/**
 * Keeps a write error on stdout or stderr from ending the process with a
 * stack trace. When the reader went away the command goes on quietly (its
 * exit code is its own; what it still prints is dropped — the stream is
 * destroyed and takes no more writes). Any other write error (a full disk
 * under `> file`) is said once on the other stream and makes the run fail:
 * its output is incomplete.
 */
export function guardOutput(streams: { stdout: Writable; stderr: Writable }): { failed: () => boolean } {
  let failed = false;
  for (const [name, stream, other] of [
    ['stdout', streams.stdout, streams.stderr],
    ['stderr', streams.stderr, streams.stdout],
  ] as const) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (READER_GONE.has(err.code ?? '') || failed) return;
      failed = true;
      if (!other.destroyed) other.write(`lifeboat: cannot write to ${name}: ${err.message}; the output is incomplete\n`);
    });
  }
  return { failed: () => failed };
}
