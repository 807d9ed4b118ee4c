/**
 * How big each part of a multipart upload is, and how many are in flight.
 *
 * S3 allows 10,000 parts per object, 5 GiB per part and 5 TiB per object.
 * lib-storage's `Upload` uses one part size for the whole stream, so it must
 * be chosen before the first byte:
 *
 * - Size known (`expectedBytes`): parts of `expected / 9,000`, at least 8 MiB.
 *   The 1,000 spare parts let the stream run 11% past the estimate, so an
 *   upper bound such as the database size is a good estimate. 5 TiB → 583 MiB parts.
 * - Size unknown (a compressed dump): 32 MiB parts, so one object can hold up
 *   to 312.5 GiB. Bigger streams must announce their size.
 *
 * Memory per upload ≈ partSize × (queueSize + 2): the parts in flight, the one
 * being filled, and the copy made when it is cut; the queue shrinks as parts
 * grow. Measured (resident memory growth for 1 GiB into s3rver, uncollected
 * garbage included): ~130 MiB with 8 MiB parts, ~165 MiB with 32 MiB parts.
 */

const MiB = 1024 * 1024;

export const MAX_PARTS = 10_000;
/** Parts planned for `expectedBytes`; the rest of MAX_PARTS is headroom. */
const PLANNED_PARTS = 9_000;
export const MIN_PART_SIZE = 8 * MiB;
export const UNKNOWN_SIZE_PART_SIZE = 32 * MiB;
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;
/** Bytes of parts in flight that the queue aims for (never fewer than 2 parts, never more than 4). */
const IN_FLIGHT_BUDGET = 64 * MiB;

/** Part size in bytes (a whole number of MiB) for a stream of `expectedBytes`, or of unknown size. */
export function partSizeFor(expectedBytes?: number): number {
  if (expectedBytes === undefined || !Number.isFinite(expectedBytes) || expectedBytes < 0) return UNKNOWN_SIZE_PART_SIZE;
  const needed = Math.ceil(expectedBytes / PLANNED_PARTS);
  return Math.max(MIN_PART_SIZE, Math.ceil(needed / MiB) * MiB);
}

/** Parts uploaded at the same time: 4 of 8 or 16 MiB, 2 of anything bigger. */
export function queueSizeFor(partSize: number): number {
  return Math.min(4, Math.max(2, Math.floor(IN_FLIGHT_BUDGET / partSize)));
}
