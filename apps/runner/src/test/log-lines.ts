/**
 * Reading what the runner printed as JSON lines (its output off a TTY): the
 * events, and the one sentence a failed run reports.
 */
import { expect } from 'vitest';

export interface LogLine {
  event: string;
  msg: string;
  target?: string;
  checks?: Array<{ name: string; expected: unknown; actual: unknown; ok: boolean }>;
}

export function events(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The one sentence a failed run reports. */
export function failure(stdout: string): string {
  const failed = events(stdout).filter((e) => e.event === 'failed');
  expect(failed).toHaveLength(1);
  return failed[0]!.msg;
}

/** Polls `condition` until it holds: a wait for a state, never a fixed sleep. */
export async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}
