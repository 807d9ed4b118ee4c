import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { alertSummary, type Alert } from './alert.js';
import { ALERT_RETRY_DELAYS_MS, AttemptError, withRetries } from './retry.js';

/** Connection, greeting, idle socket and DNS, each: a mail server slower than this is down. */
export const SMTP_TIMEOUT_MS = 10_000;

/** Failures with no SMTP answer at all: the server was unreachable or went away. */
const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']);

/**
 * Sends the alert as a plain-text email through the SMTP server of `smtpUrl`
 * (`smtp://` or `smtps://`, login in the userinfo, nodemailer's query options
 * such as `?requireTLS=true` honoured). Retried after network failures and 4xx
 * answers, not after 5xx ones (a refused login or recipient). Resolves to the
 * number of attempts; throws a DeliveryError otherwise. `smtpUrl` is resolved.
 */
export async function sendEmail(
  smtpUrl: string,
  envelope: { from: string; to: readonly string[] },
  alert: Alert,
  opts: { retryDelaysMs?: readonly number[] } = {},
): Promise<number> {
  checkSmtpUrl(smtpUrl);
  // Loaded when an email is sent, not at every start-up.
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    dnsTimeout: SMTP_TIMEOUT_MS,
    // The message is plain text we wrote; nothing in it may pull in files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const message = {
    from: envelope.from,
    to: [...envelope.to],
    subject: alertSummary(alert),
    text: emailBody(alert),
    // Lets mail filters route by severity without parsing the subject.
    headers: { 'X-Lifeboat-Severity': alert.severity },
  };
  try {
    return await withRetries(async () => {
      try {
        await transport.sendMail(message);
      } catch (err) {
        throw smtpFailure(err as SMTPConnection.SMTPError);
      }
    }, opts.retryDelaysMs ?? ALERT_RETRY_DELAYS_MS);
  } finally {
    transport.close();
  }
}

export function emailBody(alert: Alert): string {
  const facts: [string, string | number | undefined][] = [
    ['Severity', alert.severity],
    ['Plan', alert.plan],
    ['Component', alert.component],
    ['Operation', alert.operation],
    ['Host', alert.host],
    ['Time', alert.at],
    ['Exit code', alert.exitCode],
  ];
  const lines = facts.filter(([, value]) => value !== undefined).map(([label, value]) => `${`${label}:`.padEnd(11)}${value}`);
  return `${alert.message}\n\n${lines.join('\n')}\n`;
}

/** Refuses anything but smtp:// and smtps:// without repeating the value (it may be a resolved secret). */
function checkSmtpUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AttemptError('the SMTP URL is not valid', false);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new AttemptError(`the SMTP URL is ${url.protocol}, not smtp: or smtps:`, false);
  if (!url.hostname) throw new AttemptError('the SMTP URL has no host', false);
}

function smtpFailure(err: SMTPConnection.SMTPError): AttemptError {
  const code = err.responseCode;
  if (code !== undefined) {
    // `response` is the server's own line, e.g. "535 5.7.8 Authentication failed".
    return new AttemptError(`the mail server answered ${err.response ?? err.message}`, code >= 400 && code < 500, { cause: err });
  }
  return new AttemptError(err.message, err.code !== undefined && NETWORK_CODES.has(err.code), { cause: err });
}
