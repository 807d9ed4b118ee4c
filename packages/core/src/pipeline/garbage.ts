import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How many bytes pass between two minor collections. */
export const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

type Collector = (options: { type: 'minor' }) => void;
let collector: Collector | undefined;

/**
 * Lets the byte pipelines ask V8 for a minor collection. A stream's chunks are
 * Buffers whose memory lives outside V8's heap and is freed only when their
 * small JS objects are collected, which a stream of bytes rarely triggers on
 * its own: dead 64 KiB chunks pile up, and peak memory grows with the data
 * (+20 MiB from a 5 to a 21 MiB dump) until V8's external-memory limit.
 * Called once by the app at start; without it `garbageEvery` counts only.
 */
export function exposeCollector(): void {
  if (collector) return;
  setFlagsFromString('--expose-gc');
  collector = runInNewContext('gc') as Collector;
}

/** For tests: the collector `garbageEvery` calls (undefined: none). */
export function setCollector(collect: Collector | undefined): void {
  collector = collect;
}

/**
 * A counter for a stream's bytes that runs a minor collection every
 * `everyBytes` (a scavenge of the young generation: about a millisecond),
 * so memory stays flat however much data passes.
 */
export function garbageEvery(everyBytes = COLLECT_EVERY_BYTES): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    collector?.({ type: 'minor' });
  };
}
