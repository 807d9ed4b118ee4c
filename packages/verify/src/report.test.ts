import { describe, expect, it } from 'vitest';
import { runRecord, type CatalogEntry, type Manifest, type RunRecord } from '@lifeboat/core';
import { buildReport, combine } from './report.js';
import { reportCsv, reportHtml } from './report-html.js';
import { H, plan } from './test/status-fixtures.js';

const who = { user: 'ops', host: 'db-1' };
const day = (d: number, h = 2) => new Date(Date.UTC(2026, 1, d, h)).toISOString();

function backup(finishedAt: string, destinations = ['local', 's3'], encryption: 'age' | 'none' = 'age'): CatalogEntry {
  const id = `${finishedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-aaaaaa`;
  const manifest = { id, component: 'database', kind: 'postgres', startedAt: finishedAt, finishedAt, artifacts: [{ name: 'database.dump.age', bytes: 4096, sha256: '0'.repeat(64), compression: 'none', encryption, format: 'pg_dump custom archive' }], facts: {} } as unknown as Manifest;
  return { id, component: 'database', manifest, destinations, copies: destinations.map((destination) => ({ destination, manifest })) };
}

function run(operation: RunRecord['operation'], at: string, outcome: 'ok' | 'failed', extra: { backupId?: string; details?: Record<string, unknown>; error?: string } = {}): RunRecord {
  return runRecord(
    {
      id: `${at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${operation}`,
      operation,
      plan: 'civicq',
      toolVersion: '0.1.0',
      startedAt: at,
      finishedAt: at,
      durationMs: 1000,
      exitCode: outcome === 'failed' ? 1 : 0,
      components: [{ component: 'database', outcome, durationMs: 1000, ...extra }],
    },
    who,
  );
}

/**
 * A month of the guide's database: daily backups, except the 24th whose
 * run failed (a 48 h gap against a 24 h RPO); two drills; a verify; the
 * 21st's copy gone from s3 though a legal hold covers it.
 */
function month() {
  const p = plan('legalHolds:\n  - { component: database, from: "2026-02-21", to: "2026-02-21", until: "2028-09-03", reason: election }\n');
  p.components.database!.drill = { target: 'ephemeral' };
  const days = [20, 21, 22, 23, 25, 26, 27, 28];
  const catalog = days.map((d) => (d === 21 ? backup(day(d), ['local']) : backup(day(d))));
  const journal = [
    ...days.map((d) => run('backup', day(d), 'ok', { backupId: catalog[days.indexOf(d)]!.id })),
    run('backup', day(24), 'failed', { error: 'pg_dump was killed by SIGKILL' }),
    run('drill', day(25, 6), 'ok', { details: { rtoActualMs: 20 * 60_000 } }),
    run('drill', day(27, 6), 'ok', { details: { rtoActualMs: 30 * 60_000 } }),
    run('verify', day(28, 5), 'ok'),
  ].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const hashes = new Map(catalog.map((e, i) => [e.id, String(i).repeat(64)]));
  return buildReport({ plan: p, catalog, journal, now: new Date(day(28, 12)), sinceMs: 30 * 24 * H, manifestSha256: hashes });
}

describe('buildReport', () => {
  it('matches the golden JSON for a month of the guide database', async () => {
    await expect(JSON.stringify(month(), null, 2) + '\n').toMatchFileSnapshot('./golden/report.json');
  });

  it('fills the Actual columns: the longest time without a backup, the last drill', () => {
    const [db] = month().components;
    expect(db!.rpo).toMatchObject({ targetMs: 24 * H, actualMs: 48 * H, compliance: 'non-compliant', backups: 8 });
    expect(db!.rto).toMatchObject({ targetMs: 4 * H, actualMs: 30 * 60_000, compliance: 'compliant', lastDrillAt: day(27, 6) });
  });

  it('finds the held copy missing, the failure resolved by the next backup, and counts the controls', () => {
    const report = month();
    const control = (id: string) => report.controls.find((c) => c.id === id)!;
    expect(control('retention').components[0]).toMatchObject({ compliance: 'non-compliant', detail: expect.stringMatching(/^missing though retention or a legal hold requires them: 20260221T020000Z-aaaaaa in s3 \(legal hold\)$/) });
    expect(report.failures).toEqual([expect.objectContaining({ operation: 'backup', error: 'pg_dump was killed by SIGKILL', resolvedBy: { runId: '20260225T020000Z-backup', at: day(25) } })]);
    expect(control('failures-resolved').compliance).toBe('compliant');
    expect(control('backup-encrypted').compliance).toBe('compliant');
    expect(control('restore-drill').compliance).toBe('compliant');
    expect(report.summary).toEqual({ compliant: 5, 'non-compliant': 2, unknown: 0 });
  });

  it('never counts unknown as compliant: no backup, no drill, no verify', () => {
    const report = buildReport({ plan: plan(), catalog: [], journal: [], now: new Date(day(28)), sinceMs: 90 * 24 * H });
    const [db] = report.components;
    expect(db!.rpo.compliance).toBe('unknown');
    expect(db!.rpo.actualMs).toBeUndefined();
    expect(db!.rto.compliance).toBe('unknown');
    expect(report.summary.compliant).toBe(1); // failures-resolved: there were none
    expect(report.controls.find((c) => c.id === 'failures-resolved')!.compliance).toBe('compliant');
    for (const c of report.controls.filter((c) => c.id !== 'failures-resolved')) expect(c.compliance, c.id).not.toBe('compliant');
    expect(combine([])).toBe('unknown');
    expect(combine(['compliant', 'unknown'])).toBe('unknown');
  });
});

describe('reportHtml and reportCsv', () => {
  it('is one file without scripts or fetched resources, with both charts inline', () => {
    const html = reportHtml(month());
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html).toContain('<svg id="rto-chart"');
    expect(html).toContain('<svg id="rpo-chart"');
    expect(html).toContain('data-figure="rpo-actual" data-component="database" data-ms="172800000">2d<');
  });

  it('has a CSV row per figure', () => {
    const csv = reportCsv(month()).split('\n');
    expect(csv[0]).toBe('section,id,component,target_ms,actual_ms,compliance,detail');
    expect(csv).toContain('rto,rto,database,14400000,1800000,compliant,last drill 2026-02-27T06:00:00.000Z');
  });
});
