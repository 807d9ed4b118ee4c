import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Crc64, crc64, crc64Hex } from './crc64.js';

/** Bit by bit, straight from the definition: the reference the table-driven code must agree with. */
function crc64Bitwise(data: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64 (Jones, reflected, as Redis)', () => {
  test('matches the check value of Redis crc64.c', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64Hex(crc64(Buffer.from('123456789')))).toBe('e9c6d914c4b8d9ca');
  });

  test('is 0 for no input and agrees with the bitwise definition for every length 0..64', () => {
    expect(crc64(new Uint8Array(0))).toBe(0n);
    const data = randomBytes(64);
    for (let length = 0; length <= 64; length++) {
      expect(crc64(data.subarray(0, length))).toBe(crc64Bitwise(data.subarray(0, length)));
    }
  });

  test('gives the same value however the input is split', () => {
    const data = randomBytes(10_007);
    const whole = crc64(data);
    for (const step of [1, 3, 7, 8, 9, 15, 16, 17, 4096]) {
      const running = new Crc64();
      for (let i = 0; i < data.length; i += step) running.update(data.subarray(i, i + step));
      expect(running.value).toBe(whole);
    }
    expect(whole).toBe(crc64Bitwise(data));
  });

  test('agrees with the bitwise definition at every alignment: whole words read from an aligned buffer, bytes otherwise', () => {
    const buffer = new ArrayBuffer(200); // fresh, so 8-byte aligned
    const data = new Uint8Array(buffer);
    data.set(randomBytes(200));
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 15, 16, 17, 31, 32, 33, 100, 192 - offset]) {
        const view = new Uint8Array(buffer, offset, length);
        expect(crc64(view), `offset ${offset}, length ${length}`).toBe(crc64Bitwise(view));
        const split = new Crc64().update(view.subarray(0, 5)).update(view.subarray(5)).value;
        expect(split, `offset ${offset}, length ${length}, split after 5`).toBe(crc64Bitwise(view));
      }
    }
  });

  test('prints 16 hex digits, leading zeros kept', () => {
    expect(crc64Hex(0x1n)).toBe('0000000000000001');
  });
});
