import { Readable } from 'node:stream';
import { spawnSink } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { streamInto } from './stream-into.js';

/** Far more than a pipe holds, produced only as fast as it is read. */
function endless(): Readable {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  return new Readable({
    read() {
      sent++;
      this.push(sent > 10_000 ? null : chunk);
    },
  });
}

describe('streamInto', () => {
  it('a sink that exits with an error before taking its input ends the feeding with its exit, instead of waiting for ever', async () => {
    const content = endless();
    const sink = spawnSink('sh', ['-c', 'echo "ERROR:  relation exists" >&2; exit 3'], { env: { PATH: process.env.PATH }, label: 'psql' });
    await expect(streamInto(content, sink)).rejects.toThrow('psql exited with code 3: ERROR:  relation exists');
    expect(content.destroyed).toBe(true);
  });

  it('a sink that exits 0 before the end (tar at its end-of-archive): the rest is read, so the content\'s own check at its end still decides', async () => {
    const intact = endless();
    await streamInto(intact, spawnSink('sh', ['-c', 'exit 0'], { env: { PATH: process.env.PATH }, label: 'tar' }));
    expect(intact.readableEnded).toBe(true);

    let sent = 0;
    const damagedTail = new Readable({
      read() {
        if (++sent > 1000) this.destroy(new Error('sha256 mismatch at the end'));
        else this.push(Buffer.alloc(64 * 1024));
      },
    });
    await expect(streamInto(damagedTail, spawnSink('sh', ['-c', 'exit 0'], { env: { PATH: process.env.PATH }, label: 'tar' }))).rejects.toThrow('sha256 mismatch at the end');
  });

  it('everything fed and a clean exit resolves; the sink saw every byte', async () => {
    const sink = spawnSink('wc', ['-c'], { env: { PATH: process.env.PATH } });
    await streamInto(Readable.from([Buffer.alloc(300_000, 'y')]), sink);
    expect((await sink.done).stdout.trim()).toBe('300000');
  });

  it('damaged content kills the sink and its error is the one reported', async () => {
    const content = new Readable({
      read() {
        this.destroy(new Error('sha256 mismatch'));
      },
    });
    const sink = spawnSink('cat', [], { env: { PATH: process.env.PATH } });
    await expect(streamInto(content, sink)).rejects.toThrow('sha256 mismatch');
  });
});
