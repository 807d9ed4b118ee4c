import { LifeboatError, describeError, runHealthCheck, type RestoreCheck } from '@lifeboat/core';

export interface LaunchedInstance {
  instanceId: string;
  privateIp?: string;
  publicIp?: string;
}

const RETRY_MS = 5_000;
const ATTEMPT_MS = 10_000;

/**
 * The component's `healthCheck` on an instance just launched: core's health
 * check (a URL answering 2xx or a command exiting 0) with `{instanceId}`,
 * `{privateIp}` and `{publicIp}` filled in and LIFEBOAT_INSTANCE_ID,
 * LIFEBOAT_PRIVATE_IP and LIFEBOAT_PUBLIC_IP set. A server just booted may
 * need a while: tried every 5 s (each try at most 10 s) until it passes or
 * `timeoutMs` has passed. Resolves with the check (ok or not); throws only
 * when cancelled.
 */
export async function launchHealthCheck(check: string, instance: LaunchedInstance, opts: { timeoutMs: number; signal: AbortSignal; env: NodeJS.ProcessEnv; step(message: string): void }): Promise<RestoreCheck> {
  const values: Record<string, string | undefined> = { instanceId: instance.instanceId, privateIp: instance.privateIp, publicIp: instance.publicIp };
  const expected = /^https?:\/\//i.test(check) ? `2xx from ${check.replace(/\?.*$/, '')}` : 'exit 0';
  const missing = [...check.matchAll(/\{(instanceId|privateIp|publicIp)\}/g)].map((m) => m[1]!).filter((k) => !values[k]);
  if (missing.length > 0) return { name: 'health check', expected, actual: `not run: ${instance.instanceId} has no ${missing.join(', ')}`, ok: false };
  const filled = check.replace(/\{(instanceId|privateIp|publicIp)\}/g, (_m, k: string) => values[k]!);
  const env = { ...opts.env, LIFEBOAT_INSTANCE_ID: instance.instanceId, LIFEBOAT_PRIVATE_IP: instance.privateIp ?? '', LIFEBOAT_PUBLIC_IP: instance.publicIp ?? '' };
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not tried';
  for (let attempt = 1; ; attempt++) {
    const tryFor = Math.max(1, Math.min(ATTEMPT_MS, deadline - Date.now()));
    try {
      const seen = await runHealthCheck(filled, { env, timeoutMs: tryFor, signal: AbortSignal.any([opts.signal, AbortSignal.timeout(tryFor)]) });
      return { name: 'health check', expected, actual: `${seen} (try ${attempt})`, ok: true };
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
