import { LifeboatError } from './errors.js';
import { runCommand } from './process/child.js';

/**
 * One try of a plan's health check (`drill.healthCheck`; an ec2 launch's
 * `healthCheck` tries it until its deadline): an http(s) URL that must answer
 * 2xx, or a shell command that must exit 0 (the guide's `curl -f …/health`).
 * Resolves with what it saw; throws a sentence when it fails. A URL gets
 * `timeoutMs` (30 s) to answer; a command runs until it exits or `signal`.
 */
export async function runHealthCheck(check: string, opts: { env: Readonly<Record<string, string | undefined>>; cwd?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
  if (/^https?:\/\//.test(check)) {
    const deadline = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const where = check.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
    let response: Response;
    try {
      response = await fetch(check, { signal });
    } catch (err) {
      throw new LifeboatError(`health check ${where} did not answer: ${(err as Error).message}`);
    }
    if (!response.ok) throw new LifeboatError(`health check ${where} answered ${response.status} ${response.statusText}`);
    return `${where} answered ${response.status}`;
  }
  await runCommand('/bin/sh', ['-c', check], { env: opts.env, ...(opts.cwd !== undefined && { cwd: opts.cwd }), ...(opts.signal && { signal: opts.signal }), label: `health check (${check})` });
  return `${check} exited 0`;
}
