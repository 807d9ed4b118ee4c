import { describe, expect, test } from 'vitest';
import { commandExitCode, runbookStep } from './runbook.js';
import { filesFixture } from './test/fixture.js';

describe('runbook steps', () => {
  test("a command runs in the plan's folder through the hook runner; its output and exit code are shown", async () => {
    const f = await filesFixture();
    try {
      const lines: string[] = [];
      const ok = await runbookStep(f.ctx, { title: 'where', command: 'pwd; echo hello' }, [], (l) => lines.push(l));
      expect(ok.exitCode).toBe(0);
      expect(lines).toEqual(['runbook: pwd; echo hello', `  ${f.dir}`, '  hello', 'exit code 0']);

      lines.length = 0;
      const failing = runbookStep(f.ctx, { title: 'fail', command: 'echo oops >&2; exit 3' }, [], (l) => lines.push(l));
      await expect(failing).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('exited with code 3: oops') });
      expect(lines.at(-1)).toBe('exit code 3');
    } finally {
      await f.cleanup();
    }
  });

  test('the exit code comes from the engine sentence', () => {
    expect(commandExitCode('hook runbook[0] (false) exited with code 1')).toBe(1);
    expect(commandExitCode('hook runbook[0] (x) exited with code 127: sh: 1: x: not found')).toBe(127);
    expect(commandExitCode('hook runbook[0] (sleep 9) was killed by SIGTERM')).toBe(1);
  });
});
