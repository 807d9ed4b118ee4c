import { AttemptError } from './retry.js';

/** Per attempt: an alert that takes longer is not worth holding the run for. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** An http(s) URL, or an AttemptError that does not repeat the value (it may be a resolved secret). */
export function httpUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AttemptError('the URL is not valid', false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AttemptError(`the URL is ${url.protocol}, not http: or https:`, false);
  return url;
}

/**
 * One request; resolves on a 2xx answer. Otherwise throws an AttemptError,
 * transient for network failures, timeouts, 408, 429 and 5xx.
 */
export async function requestOnce(url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<void> {
  const target = new URL(url);
  const headers = { ...init.headers };
  // fetch refuses URLs with credentials; `https://user:pass@host/hook` means basic auth.
  if (target.username || target.password) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let response: Response;
  try {
    response = await fetch(target, { ...init, headers, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
  } catch (err) {
    throw new AttemptError(networkFailure(err), true, { cause: err });
  }
  // The answer's body is not needed; cancelling it frees the connection.
  await response.body?.cancel().catch(() => {});
  if (response.ok) return;
  const status = `it answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  throw new AttemptError(status, response.status >= 500 || response.status === 408 || response.status === 429);
}

/** fetch says only "fetch failed"; the cause says why. */
function networkFailure(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (!cause) return err instanceof Error ? err.message : String(err);
  switch (cause.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer';
    default:
      return cause.message || cause.code || 'the request failed';
  }
}
