import { describe, expect, test } from 'vitest';
import { compareUtf8 } from './utf8-order.js';

const bytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('compareUtf8', () => {
  test('orders as the UTF-8 bytes do, where UTF-16 code units would not', () => {
    // U+FF21 (one unit, 0xFF21) against U+1F600 (surrogates 0xD83D…): UTF-16 puts the emoji first, UTF-8 after.
    const cases: Array<[string, string]> = [
      ['a', 'b'],
      ['ab', 'a'],
      ['', 'a'],
      ['same', 'same'],
      ['uploads/\uFF21.jpg', 'uploads/\u{1F600}.jpg'],
      ['\u{1F600}', '\uE000'],
      ['é', 'z'],
      ['a/b', 'a-b'],
    ];
    for (const [a, b] of cases) {
      expect(compareUtf8(a, b), `${a} vs ${b}`).toBe(bytes(a, b));
      expect(compareUtf8(b, a), `${b} vs ${a}`).toBe(bytes(b, a));
    }
  });

  test('sorts random keys exactly as their bytes sort', () => {
    const alphabet = ['a', 'Z', '/', '-', 'é', '\uFF21', '\u{1F600}', '\uE000', '0'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const keys = Array.from({ length: 500 }, () => Array.from({ length: 1 + (next() % 6) }, () => alphabet[next() % alphabet.length]).join(''));
    expect([...keys].sort(compareUtf8)).toEqual([...keys].sort(bytes));
  });
});
