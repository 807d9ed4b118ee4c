import { LifeboatError, describeError, runCommand, type RestoreCheck } from '@lifeboat/core';

export interface LaunchedInstance {
  instanceId: string;
  privateIp?: string;
  publicIp?: string;
}

const RETRY_MS = 5_000;
const ATTEMPT_MS = 10_000;

/**
 * The plan's health check of a launched instance: an http(s) URL that must
 * answer 2xx, or a shell command that must exit 0 (`sh -c`, with
 * LIFEBOAT_INSTANCE_ID, LIFEBOAT_PRIVATE_IP and LIFEBOAT_PUBLIC_IP set).
 * `{instanceId}`, `{privateIp}` and `{publicIp}` in it are filled in. A
 * server just booted may need a while: it is tried every 5 s until it passes
 * or `timeoutMs` has passed, each try at most 10 s. Resolves with the check
 * (ok or not); throws only when cancelled.
 */
export async function runHealthCheck(check: string, instance: LaunchedInstance, opts: { timeoutMs: number; signal: AbortSignal; env: NodeJS.ProcessEnv; step(message: string): void }): Promise<RestoreCheck> {
  const values: Record<string, string | undefined> = { instanceId: instance.instanceId, privateIp: instance.privateIp, publicIp: instance.publicIp };
  const missing = [...check.matchAll(/\{(instanceId|privateIp|publicIp)\}/g)].map((m) => m[1]!).filter((k) => !values[k]);
  const url = /^https?:\/\//i.test(check);
  // Shown without a query string: a token there is not for the logs.
  const shown = url ? check.replace(/\?.*$/, '') : 'the command';
  const expected = url ? `2xx from ${shown}` : 'exit 0';
  if (missing.length > 0) {
    return { name: 'health check', expected, actual: `not run: ${instance.instanceId} has no ${missing.join(', ')}`, ok: false };
  }
  const filled = check.replace(/\{(instanceId|privateIp|publicIp)\}/g, (_m, k: string) => values[k]!);
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not tried';
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) throw new LifeboatError('the health check was cancelled');
    const attemptSignal = AbortSignal.any([opts.signal, AbortSignal.timeout(Math.max(1, Math.min(ATTEMPT_MS, deadline - Date.now())))]);
    try {
      if (url) {
        const answer = await fetch(filled, { signal: attemptSignal, redirect: 'manual' });
        await answer.body?.cancel();
        if (answer.status >= 200 && answer.status < 300) return { name: 'health check', expected, actual: `${answer.status} (try ${attempt})`, ok: true };
        last = `HTTP ${answer.status}`;
      } else {
        await runCommand('sh', ['-c', filled], {
          env: { ...opts.env, LIFEBOAT_INSTANCE_ID: instance.instanceId, LIFEBOAT_PRIVATE_IP: instance.privateIp ?? '', LIFEBOAT_PUBLIC_IP: instance.publicIp ?? '' },
          signal: attemptSignal,
        });
        return { name: 'health check', expected, actual: `exit 0 (try ${attempt})`, ok: true };
      }
    } catch (err) {
      if (opts.signal.aborted) throw new LifeboatError('the health check was cancelled');
      last = describeError(err);
    }
    const wait = Math.min(RETRY_MS, deadline - Date.now());
    if (wait <= 0) break;
    opts.step(`health check of ${instance.instanceId}: not yet (${last}); trying again`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      opts.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return { name: 'health check', expected, actual: `failing after ${Math.round(opts.timeoutMs / 1000)} s (healthTimeout): ${last}`, ok: false };
}
