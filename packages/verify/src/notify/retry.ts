import { setTimeout as sleep } from 'node:timers/promises';

/** Waits between the 3 attempts at an alert: exponential, so a receiver restarting has ~5 s to come back. */
export const ALERT_RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000];

/** One attempt failed: `reason` completes "could not send …: <reason>"; `transient` says whether trying again may help. */
export class AttemptError extends Error {
  constructor(
    reason: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'AttemptError';
  }
}

/** Sending failed for good, after `attempts` tries. */
export class DeliveryError extends Error {
  constructor(
    reason: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'DeliveryError';
  }
}

/**
 * Runs `attempt` until it succeeds, waiting `delaysMs[n]` before retry n+1, so
 * the attempts are `delaysMs.length + 1` at most. Only a transient
 * `AttemptError` is retried: a 404 or a refused login will not get better.
 * Resolves to the number of attempts made.
 */
export async function withRetries(attempt: () => Promise<void>, delaysMs: readonly number[]): Promise<number> {
  for (let attempts = 1; ; attempts++) {
    try {
      await attempt();
      return attempts;
    } catch (err) {
      const delay = delaysMs[attempts - 1];
      if (!(err instanceof AttemptError) || !err.transient || delay === undefined) {
        throw new DeliveryError(err instanceof Error ? err.message : String(err), attempts, { cause: err });
      }
      await sleep(delay);
    }
  }
}
