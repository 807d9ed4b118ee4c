/** A plan, catalog entries and run records for assessStatus tests. */
import { z } from 'zod';
import { Registry, parsePlan, runRecord, type CatalogEntry, type Manifest, type RunRecord, type Strategy } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';

const strategy = { kind: 'postgres', summary: '', config: z.object({ url: z.string() }) } as unknown as Strategy<never>;
const registry = new Registry({ strategies: [strategy], storage: [fsStorageType as never] });
export const H = 3_600_000;

export function plan(extra = '') {
  return parsePlan(
    `version: 1
name: civicq
destinations:
  local: { type: fs, path: /b/local, medium: disk }
  s3:    { type: fs, path: /b/s3, medium: object-storage, offsite: true }
${extra}components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local, s3]
`,
    '/etc/lifeboat.yaml',
    registry,
  );
}

export function backup(finishedAt: string, destinations = ['local', 's3']): CatalogEntry {
  const manifest = { id: 'x', component: 'database', kind: 'postgres', startedAt: finishedAt, finishedAt, artifacts: [{ name: 'd', bytes: 1024, sha256: '', compression: 'none', format: '' }], facts: {} } as unknown as Manifest;
  return { id: `id-${finishedAt}`, component: 'database', manifest, destinations, copies: destinations.map((destination) => ({ destination, manifest })) };
}

export function run(operation: RunRecord['operation'], at: string, outcome: 'ok' | 'failed' | 'unchanged', details?: Record<string, unknown>, error?: string): RunRecord {
  return runRecord({
    id: `r-${at}`,
    operation,
    plan: 'civicq',
    toolVersion: 't',
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    exitCode: outcome === 'failed' ? 1 : 0,
    components: [{ component: 'database', outcome, durationMs: 1, ...(details ? { details } : {}), ...(error ? { error } : {}) }],
  });
}

export const drilled = run('drill', '2026-02-14T03:00:00.000Z', 'ok', { rtoActualMs: 20 * 60_000 });
export const at = (hoursAfterBackup: number) => new Date(Date.parse('2026-02-14T02:00:00.000Z') + hoursAfterBackup * H);
