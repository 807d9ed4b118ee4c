import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentOf } from './environment.js';
import { lifeboat } from './test/harness.js';

const lockDir = join(tmpdir(), 'lifeboat-clocks-test-locks');
const nowOf = (value: string) => environmentOf({ LIFEBOAT_NOW: value }, { cwd: '/', uid: 0, stdoutIsTTY: false });

describe('LIFEBOAT_NOW (issue 11)', () => {
  it('fault 11.5: LIFEBOAT_NOW=garbage is one sentence naming the variable, its value and the format, exit 2', async () => {
    for (const command of [['status'], ['prune', '--dry-run'], ['backup']]) {
      const run = await lifeboat(command, { lockDir, env: { LIFEBOAT_NOW: 'garbage' } });
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        'lifeboat: LIFEBOAT_NOW is "garbage", which is not a time; expected ISO 8601 such as 2026-02-14T02:00:00Z (or a date, 2026-02-14), or unset it to use the clock\n',
      );
    }
    // Help still answers.
    expect((await lifeboat(['--help'], { lockDir, env: { LIFEBOAT_NOW: 'garbage' } })).exitCode).toBe(0);
  });

  it('accepts ISO 8601 dates and zoned times only, and only real calendar times', () => {
    expect(nowOf('2026-02-14T02:00:00Z').now?.toISOString()).toBe('2026-02-14T02:00:00.000Z');
    expect(nowOf('2026-02-14T03:00:00.5+01:00').now?.toISOString()).toBe('2026-02-14T02:00:00.500Z');
    expect(nowOf('2026-02-14').now?.toISOString()).toBe('2026-02-14T00:00:00.000Z');
    for (const bad of ['garbage', '2026-02-30', '2026-02-14T02:00:00', '2026-02-14T25:00:00Z', 'Feb 14 2026', '1771034400', '']) {
      const environment = nowOf(bad);
      expect(environment.now).toBeUndefined();
      if (bad !== '') expect(environment.invalid).toContain(`LIFEBOAT_NOW is ${JSON.stringify(bad)}, which is not a time`);
    }
  });
});
