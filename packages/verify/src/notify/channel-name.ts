import { isSecretRef, type NotifyChannel } from '@lifeboat/core';

/**
 * How sentences and results name a channel: its type and where it points,
 * `webhook https://hooks.example/alerts`, `email to ops@example.org via env:SMTP_URL`.
 */
export function channelName(channel: NotifyChannel): string {
  switch (channel.type) {
    case 'webhook':
      return `webhook ${shownTarget(channel.url)}`;
    case 'ping':
      return `ping ${shownTarget(channel.url)}`;
    case 'email':
      return `email to ${channel.to.join(', ')} via ${shownTarget(channel.smtp)}`;
  }
}

/**
 * A reference as written, never what it resolves to (a chat webhook's token is
 * often in its path). A URL without userinfo, query or fragment, which may
 * carry a password or token.
 */
export function shownTarget(written: string): string {
  if (isSecretRef(written) || written.startsWith('env:')) return written;
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return '(not a valid URL)';
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}
