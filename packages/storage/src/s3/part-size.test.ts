import { describe, expect, it } from 'vitest';
import { MAX_OBJECT_BYTES, MAX_PARTS, MIN_PART_SIZE, UNKNOWN_SIZE_PART_SIZE, partSizeFor, queueSizeFor } from './part-size.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TB = 1e12;

describe('partSizeFor', () => {
  it('grows the parts so that 5 TB fits in fewer than 10,000 of them', () => {
    for (const bytes of [5 * TB, MAX_OBJECT_BYTES]) {
      const size = partSizeFor(bytes);
      expect(Math.ceil(bytes / size)).toBeLessThanOrEqual(9000);
      expect(size).toBeLessThanOrEqual(5 * GiB); // S3's largest part
      // 11% headroom: a stream a little bigger than announced still fits.
      expect(bytes * 1.11).toBeLessThan(size * MAX_PARTS);
    }
    expect(partSizeFor(5 * TB)).toBe(530 * MiB);
    expect(partSizeFor(MAX_OBJECT_BYTES)).toBe(583 * MiB);
  });

  it('keeps 8 MiB parts up to about 70 GiB', () => {
    expect(partSizeFor(0)).toBe(MIN_PART_SIZE);
    expect(partSizeFor(2 * GiB)).toBe(8 * MiB);
    expect(partSizeFor(9000 * 8 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(9000 * 8 * MiB + 1)).toBe(9 * MiB);
  });

  it('uses 32 MiB parts when the size is unknown (objects up to 312.5 GiB)', () => {
    for (const unknown of [undefined, Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(partSizeFor(unknown)).toBe(UNKNOWN_SIZE_PART_SIZE);
    expect(UNKNOWN_SIZE_PART_SIZE * MAX_PARTS).toBe(312.5 * GiB);
  });
});

describe('queueSizeFor', () => {
  it('uploads 4 small parts at a time and 2 big ones, so memory stays bounded', () => {
    expect(queueSizeFor(8 * MiB)).toBe(4);
    expect(queueSizeFor(16 * MiB)).toBe(4);
    expect(queueSizeFor(32 * MiB)).toBe(2);
    expect(queueSizeFor(583 * MiB)).toBe(2);
  });
});
