import { httpUrl, requestOnce } from './http-request.js';
import { withRetries } from './retry.js';

export type PingPhase = 'start' | 'success' | 'fail';

/** One retry, a second apart: a ping is cheap, and a missed one only delays the monitor's verdict. */
export const PING_RETRY_DELAYS_MS: readonly number[] = [1_000];

/**
 * A healthchecks.io-style ping: GET `<url>/start`, `<url>` or `<url>/fail`.
 * Healthchecks also takes `<url>/<exit code>`, but `/fail` is what every
 * healthchecks-style monitor understands, so the exit code is not sent. The
 * query (`?rid=`, `?create=1`) is kept. Resolves to the number of attempts;
 * throws a DeliveryError otherwise. `url` is resolved.
 */
export async function ping(url: string, phase: PingPhase, opts: { version?: string; retryDelaysMs?: readonly number[] } = {}): Promise<number> {
  const headers = { 'user-agent': opts.version ? `lifeboat/${opts.version}` : 'lifeboat' };
  return withRetries(() => requestOnce(pingUrl(url, phase), { method: 'GET', headers }), opts.retryDelaysMs ?? PING_RETRY_DELAYS_MS);
}

function pingUrl(url: string, phase: PingPhase): URL {
  const target = httpUrl(url);
  if (phase !== 'success') target.pathname = `${target.pathname.replace(/\/+$/, '')}/${phase}`;
  return target;
}
