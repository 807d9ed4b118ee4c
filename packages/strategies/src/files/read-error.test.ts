import { describe, expect, test } from 'vitest';
import { readError } from './read-error.js';

const fsError = (code: string) => Object.assign(new Error(`${code}: something, open '/x'`), { code });

describe('readError', () => {
  test.each([
    ['EACCES', 'cannot read /etc/shadow: permission denied; run the backup as a user that can read it, or exclude it'],
    ['EPERM', 'cannot read /etc/shadow: permission denied'],
    ['ENOENT', '/etc/shadow disappeared while it was being backed up; run the backup again'],
    ['EOF', '/etc/shadow shrank while it was being archived; nothing was stored'],
    ['EIO', "cannot read /etc/shadow: EIO: something, open '/x'"],
  ])('%s names the file in one sentence', (code, sentence) => {
    expect(readError(fsError(code), '/etc/shadow').message).toContain(sentence);
  });
});
