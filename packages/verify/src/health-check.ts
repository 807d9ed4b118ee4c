import { LifeboatError, runCommand } from '@lifeboat/core';

/**
 * The plan's `drill.healthCheck`: an http(s) URL that must answer 2xx, or a
 * shell command that must exit 0 (the guide's `curl -f …/health`).
 */
export async function runHealthCheck(check: string, opts: { env: Readonly<Record<string, string | undefined>>; cwd: string; timeoutMs?: number }): Promise<string> {
  if (/^https?:\/\//.test(check)) {
    const where = check.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
    let response: Response;
    try {
      response = await fetch(check, { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new LifeboatError(`health check ${where} did not answer: ${(err as Error).message}`);
    }
    if (!response.ok) throw new LifeboatError(`health check ${where} answered ${response.status} ${response.statusText}`);
    return `${where} answered ${response.status}`;
  }
  await runCommand('/bin/sh', ['-c', check], { env: opts.env, cwd: opts.cwd, label: `health check (${check})` });
  return `${check} exited 0`;
}
