/**
 * Routes alerts and pings to the plan's `notify:` channels. A channel that
 * fails is reported through `onWarning`, never thrown: an alert must not fail
 * the backup it reports on.
 */
import type { NotifyChannel, SecretResolver } from '@lifeboat/core';
import type { Alert } from './alert.js';
import { channelName } from './channel-name.js';
import { sendEmail } from './email.js';
import { ping, type PingPhase } from './ping.js';
import { DeliveryError } from './retry.js';
import { sendWebhook } from './webhook.js';

/** Channel names (see `channelName`), in plan order. */
export interface Delivery {
  delivered: string[];
  failed: string[];
}

/**
 * Sends the alert, in parallel, to every webhook and email channel whose
 * `severities` include its severity; ping channels take no alerts.
 * `retryDelaysMs` are the waits between attempts (tests shorten them).
 */
export async function sendAlert(
  channels: readonly NotifyChannel[],
  alert: Alert,
  opts: { secrets: SecretResolver; version: string; onWarning: (sentence: string) => void; retryDelaysMs?: number[] },
): Promise<Delivery> {
  const retry = opts.retryDelaysMs ? { retryDelaysMs: opts.retryDelaysMs } : {};
  const jobs: Job[] = [];
  channels.forEach((channel, i) => {
    if (channel.type === 'ping' || !channel.severities.includes(alert.severity)) return;
    const send: Job['send'] =
      channel.type === 'webhook'
        ? async (resolve) => sendWebhook(await resolve(channel.url, `notify[${i}].url`), alert, { version: opts.version, ...retry })
        : async (resolve) => sendEmail(await resolve(channel.smtp, `notify[${i}].smtp`), channel, alert, retry);
    jobs.push({ name: channelName(channel), send });
  });
  return deliverAll(jobs, opts.secrets, (name, reason) => opts.onWarning(`Could not send the ${alert.severity} alert "${alert.title}" to ${name}: ${reason}.`));
}

/**
 * Tells every ping channel that a run started, succeeded or failed. `exitCode`
 * only appears in warnings: pings use `/fail`, not healthchecks' `/<code>`.
 */
export async function pingChannels(
  channels: readonly NotifyChannel[],
  phase: PingPhase,
  opts: { secrets: SecretResolver; onWarning: (sentence: string) => void; exitCode?: number; version?: string; retryDelaysMs?: number[] },
): Promise<Delivery> {
  const pingOpts = { ...(opts.version ? { version: opts.version } : {}), ...(opts.retryDelaysMs ? { retryDelaysMs: opts.retryDelaysMs } : {}) };
  const jobs: Job[] = [];
  channels.forEach((channel, i) => {
    if (channel.type !== 'ping') return;
    jobs.push({ name: channelName(channel), send: async (resolve) => ping(await resolve(channel.url, `notify[${i}].url`), phase, pingOpts) });
  });
  const signal = opts.exitCode === undefined ? `${phase} signal` : `${phase} signal (exit code ${opts.exitCode})`;
  return deliverAll(jobs, opts.secrets, (name, reason) => opts.onWarning(`Could not send the ${signal} to ${name}: ${reason}.`));
}

export type { PingPhase };

interface Job {
  name: string;
  /** Sends once delivered or throws; `resolve` is the plan's secret resolver, watched so failures can hide what it returned. */
  send: (resolve: (value: string, field: string) => Promise<string>) => Promise<unknown>;
}

async function deliverAll(jobs: Job[], secrets: SecretResolver, warn: (name: string, reason: string) => void): Promise<Delivery> {
  const outcomes = await Promise.all(
    jobs.map(async (job) => {
      const used: string[] = [];
      const resolve = async (value: string, field: string) => {
        const resolved = await secrets.resolve(value, field);
        used.push(...sensitiveParts(value, resolved));
        return resolved;
      };
      try {
        await job.send(resolve);
        return true;
      } catch (err) {
        warn(job.name, hide(failureReason(err), used));
        return false;
      }
    }),
  );
  return {
    delivered: jobs.filter((_, i) => outcomes[i]).map((job) => job.name),
    failed: jobs.filter((_, i) => !outcomes[i]).map((job) => job.name),
  };
}

function failureReason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).trim().replace(/\.$/, '');
  return err instanceof DeliveryError && err.attempts > 1 ? `${text} (${err.attempts} attempts)` : text;
}

/**
 * What must never appear in a warning: a resolved secret as a whole, and any
 * URL's password and query string (tokens live there). Reasons are written not
 * to contain them; this is the net under that.
 */
function sensitiveParts(written: string, resolved: string): string[] {
  const parts = resolved === written ? [] : [resolved];
  try {
    const url = new URL(resolved);
    parts.push(url.password, decodeURIComponent(url.password), url.search.slice(1));
  } catch {
    // Not a URL: nothing more to pick out.
  }
  // Very short strings would blank out ordinary words.
  return parts.filter((part) => part.length >= 4);
}

function hide(text: string, sensitive: readonly string[]): string {
  return [...sensitive].sort((a, b) => b.length - a.length).reduce((out, part) => out.replaceAll(part, '***'), text);
}
