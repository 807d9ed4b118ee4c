import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, loadPlan, type Plan, type RunEvent, type Severity, type StorageType } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';
import { strategies } from '@lifeboat/strategies';
import type { Alerter } from '../alerts.js';
import { operationsContext, type OperationsContext } from '../context.js';

/** A failure the alerter was asked to send. */
export interface SentAlert {
  operation: string;
  component: string;
  severity: Severity;
  exitCode: number;
}

/**
 * A plan with one files component `config` over `<dir>/live` and two fs
 * destinations, in a temp folder, and an operations context run by `ops` on
 * `db-1` whose alerter records what it was asked to send.
 */
export async function filesFixture(extra = '') {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-ops-'));
  await mkdir(join(dir, 'live'), { recursive: true });
  await writeFile(join(dir, 'live', 'app.conf'), 'listen 8080\n');
  await writeFile(
    join(dir, 'lifeboat.yaml'),
    `version: 1
name: ops-test
destinations:
  primary: { type: fs, path: ./repo/primary, medium: disk }
  mirror: { type: fs, path: ./repo/mirror, medium: disk }
components:
  config:
    type: files
    paths: [./live]
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [primary, mirror]
${extra}`,
  );
  const registry = new Registry({ strategies, storage: [fsStorageType as StorageType<never>] });
  const plan: Plan = await loadPlan(join(dir, 'lifeboat.yaml'), registry);
  const events: RunEvent[] = [];
  const alerts: SentAlert[] = [];
  const alerter: Alerter = {
    status: async () => undefined,
    failure: async (_plan, operation, component, severity, _message, exitCode) => void alerts.push({ operation, component, severity, exitCode }),
    ping: async () => undefined,
  };
  const ctx: OperationsContext = operationsContext(
    {
      plan,
      registry,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      lockDir: join(dir, 'locks'),
      toolVersion: '0.0.0-test',
      onEvent: (event) => events.push(event),
      identity: { user: 'ops', host: 'db-1' },
    },
    alerter,
  );
  return { dir, plan, registry, ctx, events, alerts, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
