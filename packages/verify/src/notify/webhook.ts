import { alertSummary, type Alert } from './alert.js';
import { httpUrl, requestOnce } from './http-request.js';
import { ALERT_RETRY_DELAYS_MS, withRetries } from './retry.js';

/**
 * POSTs the alert as JSON, plus `text` (its one-line summary) so Slack- and
 * Mattermost-style incoming webhooks show it as is. A 2xx answer is delivered.
 * Resolves to the number of attempts; throws a DeliveryError otherwise.
 * `url` is resolved: a secret reference is the caller's to resolve.
 */
export async function sendWebhook(
  url: string,
  alert: Alert,
  opts: { version: string; retryDelaysMs?: readonly number[] },
): Promise<number> {
  const body = JSON.stringify({ ...alert, text: alertSummary(alert) });
  const headers = { 'content-type': 'application/json', 'user-agent': `lifeboat/${opts.version}` };
  return withRetries(() => requestOnce(httpUrl(url), { method: 'POST', headers, body }), opts.retryDelaysMs ?? ALERT_RETRY_DELAYS_MS);
}
