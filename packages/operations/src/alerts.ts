import { hostname } from 'node:os';
import { createSecretResolver, type Plan, type Severity } from '@lifeboat/core';
import type { ComponentStatus } from '@lifeboat/verify';

// The channels' code (verify's notify) loads only when a plan has a channel to send to: not on every run's start.
const notify = () => import('@lifeboat/verify');

export interface Alerter {
  /** One alert per component that is not healthy, at its worst severity. */
  status(plan: Plan, statuses: ComponentStatus[]): Promise<void>;
  /** A failed operation on a component (backup sev2; restore, drill sev1; verify damage sev2). */
  failure(plan: Plan, operation: string, component: string, severity: Severity, message: string, exitCode: number): Promise<void>;
  /** healthchecks-style pings around a scheduled run. */
  ping(plan: Plan, phase: 'start' | 'success' | 'fail', exitCode?: number): Promise<void>;
}

/**
 * Alerts go out through the plan's notify channels; a channel that fails is a
 * warning (`warn`: stderr in the runner, the run's view in the TUI) and never
 * changes the outcome of the run it reports on.
 */
export function createAlerter(env: Readonly<Record<string, string | undefined>>, version: string, warn: (message: string) => void, now: () => Date): Alerter {
  const opts = (plan: Plan) => ({ secrets: createSecretResolver({ env, planDir: plan.dir }), version, onWarning: warn });
  const base = (plan: Plan) => ({ plan: plan.name, host: hostname(), at: now().toISOString() });
  return {
    async status(plan, statuses) {
      if (plan.notify.length === 0) return;
      const { sendAlert } = await notify();
      for (const s of statuses) {
        if (!s.severity) continue;
        await sendAlert(plan.notify, { ...base(plan), severity: s.severity, component: s.component, operation: 'status', title: `${s.component} is ${s.health}`, message: s.reasons.join('\n') }, opts(plan));
      }
    },
    async failure(plan, operation, component, severity, message, exitCode) {
      if (plan.notify.length === 0) return;
      const { sendAlert } = await notify();
      await sendAlert(plan.notify, { ...base(plan), severity, component, operation, exitCode, title: `${operation} of ${component} failed`, message }, opts(plan));
    },
    async ping(plan, phase, exitCode) {
      if (plan.notify.length === 0) return;
      const { pingChannels } = await notify();
      await pingChannels(plan.notify, phase, { ...opts(plan), exitCode });
    },
  };
}
