import type { Severity } from '@lifeboat/core';

/** What went wrong, as every channel receives it. The caller decides the severity. */
export interface Alert {
  severity: Severity;
  title: string;
  message: string;
  component?: string;
  operation?: string;
  plan: string;
  host: string;
  /** ISO 8601. */
  at: string;
  exitCode?: number;
}

/**
 * The alert in one line, `[lifeboat] SEV1 <plan>: <title>`: the email subject,
 * and the webhook's `text` (the field chat webhooks show).
 */
export function alertSummary(alert: Alert): string {
  // A newline in a title must not end a mail header or split a chat line.
  return `[lifeboat] ${alert.severity.toUpperCase()} ${alert.plan}: ${alert.title}`.replace(/\s+/g, ' ');
}
