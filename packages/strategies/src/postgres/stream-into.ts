import type { Readable } from 'node:stream';
import type { spawnSink } from '@lifeboat/core';

/**
 * Feeds verified content to a single-transaction restore and ends its input
 * only after the content ended cleanly: a damaged artifact kills the child
 * before COMMIT, so the target is left as it was.
 */
export async function streamInto(content: Readable, sink: ReturnType<typeof spawnSink>): Promise<void> {
  const fed = new Promise<void>((resolve, reject) => {
    content.on('error', (err) => {
      sink.kill();
      reject(err);
    });
    content.on('end', () => {
      sink.stdin.end();
      resolve();
    });
    content.pipe(sink.stdin as NodeJS.WritableStream, { end: false });
  });
  const [fedResult, doneResult] = await Promise.allSettled([fed, sink.done]);
  if (fedResult.status === 'rejected') throw fedResult.reason;
  if (doneResult.status === 'rejected') throw doneResult.reason;
}
