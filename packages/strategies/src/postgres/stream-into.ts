import type { Readable } from 'node:stream';
import type { spawnSink } from '@lifeboat/core';

/** The sink exited before the input ended: its own exit (code, last stderr line) says why. */
class SinkLeftEarly extends Error {}

/**
 * Feeds verified content to a single-transaction restore and ends its input
 * only after the content ended cleanly: a damaged artifact kills the child
 * before COMMIT, so the target is left as it was. A child that exits before
 * it has taken everything (psql stopped on an error, tar on a full disk)
 * stops the feeding at once — the content would otherwise wait for ever on
 * a pipe nobody reads — and its exit is the error reported. One that exits
 * 0 early (tar at its end-of-archive blocks) has the rest read and thrown
 * away, so the content's own checks at its end still run.
 */
export async function streamInto(content: Readable, sink: ReturnType<typeof spawnSink>): Promise<void> {
  const fed = new Promise<void>((resolve, reject) => {
    let ended = false;
    content.on('error', (err) => {
      sink.kill();
      reject(err);
    });
    content.on('end', () => {
      ended = true;
      sink.stdin.end();
      resolve();
    });
    content.on('close', () => {
      if (!ended) reject(new SinkLeftEarly('the program reading the restore exited before the input ended'));
    });
    content.pipe(sink.stdin as NodeJS.WritableStream, { end: false });
  });
  sink.done.then(
    () => {
      content.unpipe();
      content.resume();
    },
    () => {
      if (!content.readableEnded && !content.destroyed) {
        content.unpipe();
        content.destroy();
      }
    },
  );
  const [fedResult, doneResult] = await Promise.allSettled([fed, sink.done]);
  if (doneResult.status === 'rejected' && (fedResult.status === 'fulfilled' || fedResult.reason instanceof SinkLeftEarly)) throw doneResult.reason;
  if (fedResult.status === 'rejected') throw fedResult.reason;
  if (doneResult.status === 'rejected') throw doneResult.reason;
}
