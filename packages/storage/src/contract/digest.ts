import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface Digest {
  sha256: string;
  bytes: number;
}

/** sha256 and length of everything `stream` yields, read chunk by chunk. */
export async function digestOf(stream: Readable): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
