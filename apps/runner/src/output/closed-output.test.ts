import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { guardOutput } from './closed-output.js';

/** A stream whose writes fail with `code`, and one that keeps what it is given. */
const failing = (code: string) =>
  new Writable({
    write: (_chunk, _enc, cb) => cb(Object.assign(new Error(`write ${code}`), { code })),
  });
const keeping = () => {
  const text: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      text.push(chunk.toString());
      cb();
    },
  });
  return { stream, text };
};

describe('guardOutput', () => {
  test.each(['EPIPE', 'EIO'])('%s (the reader went away) is quiet: nothing said, the run keeps its exit code', async (code) => {
    const stdout = failing(code);
    const stderr = keeping();
    const output = guardOutput({ stdout, stderr: stderr.stream });
    stdout.write('first line\n');
    await new Promise((resolve) => stdout.once('close', resolve));
    stdout.write('dropped\n');
    expect(output.failed()).toBe(false);
    expect(stderr.text).toEqual([]);
  });

  test('any other write error is said once on the other stream and fails the run', async () => {
    const stdout = failing('ENOSPC');
    const stderr = keeping();
    const output = guardOutput({ stdout, stderr: stderr.stream });
    stdout.write('x\n');
    await new Promise((resolve) => stdout.once('close', resolve));
    expect(output.failed()).toBe(true);
    expect(stderr.text).toEqual(['lifeboat: cannot write to stdout: write ENOSPC; the output is incomplete\n']);
  });
});
