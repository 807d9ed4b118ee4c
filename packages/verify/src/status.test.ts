import { describe, expect, it } from 'vitest';
import { assessStatus } from './status.js';
import { prometheusText } from './prometheus.js';
import { H, at, backup, drilled, plan, run } from './test/status-fixtures.js';

describe('assessStatus', () => {
  it('moves ok → warning (80% of RPO) → critical sev2 (past RPO) → critical sev1 (past twice the RPO) as the clock runs', () => {
    const p = plan();
    const catalog = [backup('2026-02-14T02:00:00.000Z')];
    const view = (h: number) => assessStatus(p, catalog, [drilled], at(h))[0]!;
    expect(view(1)).toMatchObject({ health: 'ok', freshness: 'ok', reasons: [] });
    expect(view(1).severity).toBeUndefined();
    expect(view(20)).toMatchObject({ health: 'warning', severity: 'sev3', freshness: 'warning' });
    expect(view(20).reasons).toEqual(['last backup of database is 20h old, nearing its RPO of 24h']);
    expect(view(30)).toMatchObject({ health: 'critical', severity: 'sev2', freshness: 'critical' });
    expect(view(49)).toMatchObject({ health: 'critical', severity: 'sev1' });
    expect(view(49).reasons[0]).toBe('last backup of database is 2d old, more than twice its RPO of 24h');
  });

  it('is not healthy for a component never restored by a drill, nor one whose last drill failed', () => {
    const p = plan();
    const catalog = [backup('2026-02-14T02:00:00.000Z')];
    expect(assessStatus(p, catalog, [], at(1))[0]).toMatchObject({ health: 'warning', severity: 'sev3', reasons: ['database has never been restored by a drill'] });
    const failed = run('drill', '2026-02-14T04:00:00.000Z', 'failed', {}, 'rows in users expected 3, got 2');
    expect(assessStatus(p, catalog, [drilled, failed], at(3))[0]).toMatchObject({ health: 'critical', severity: 'sev1' });
  });

  it('counts 3-2-1 with the live data as a copy, media and offsite from the destinations holding the latest backup', () => {
    const p = plan();
    const both = assessStatus(p, [backup('2026-02-14T02:00:00.000Z')], [drilled], at(1))[0]!;
    expect(both.compliance).toMatchObject({ copies: 3, media: 2, offsite: 1, ok: true });
    const localOnly = assessStatus(p, [backup('2026-02-14T02:00:00.000Z', ['local'])], [drilled], at(1))[0]!;
    expect(localOnly.compliance).toMatchObject({ copies: 2, media: 1, offsite: 0, ok: false });
    expect(localOnly.reasons[0]).toMatch(/does not meet 3-2-1 \(3-2-1\): 2 copies counting the live data, 1 media, 0 offsite/);
    const relaxed = assessStatus(plan('rule321: { copies: 2, media: 1, offsite: 0 }\n'), [backup('2026-02-14T02:00:00.000Z', ['local'])], [drilled], at(1))[0]!;
    expect(relaxed.compliance.ok).toBe(true);
  });

  it('counts an unchanged check as fresh, flags a failed backup run and damage found by verify', () => {
    const p = plan();
    const catalog = [backup('2026-02-14T02:00:00.000Z')];
    const checked = run('backup', '2026-02-15T02:00:00.000Z', 'unchanged');
    expect(assessStatus(p, catalog, [drilled, checked], at(30))[0]).toMatchObject({ health: 'ok', ageMs: 6 * H });
    const failedRun = run('backup', '2026-02-15T02:00:00.000Z', 'failed', undefined, 'pg_dump was killed by SIGKILL');
    expect(assessStatus(p, catalog, [drilled, failedRun], at(1))[0]!.reasons).toContain('the last backup run of database failed: pg_dump was killed by SIGKILL');
    const damaged = run('verify', '2026-02-14T05:00:00.000Z', 'failed', undefined, 'd in s3 is damaged');
    expect(assessStatus(p, catalog, [drilled, damaged], at(4))[0]).toMatchObject({ health: 'critical', severity: 'sev2' });
  });

  it('reports a component never backed up as critical', () => {
    expect(assessStatus(plan(), [], [], at(0))[0]).toMatchObject({ health: 'critical', freshness: 'never', severity: 'sev2' });
  });
});

describe('assessStatus with a destination that cannot be read', () => {
  const unreachable = new Map([['s3', 'connect ECONNREFUSED 10.0.0.9:9000']]);

  it('is never ok, even when the copies that answered meet the rule', () => {
    const relaxed = plan('rule321: { copies: 2, media: 1, offsite: 0 }\n');
    const status = assessStatus(relaxed, [backup('2026-02-14T02:00:00.000Z', ['local'])], [drilled], at(1), unreachable)[0]!;
    expect(status).toMatchObject({
      health: 'warning',
      severity: 'sev3',
      compliance: { copies: 2, media: 1, offsite: 0, ok: true, unreachable: ['s3'] },
      destinations: [
        { destination: 'local', reachable: true },
        { destination: 's3', reachable: false, reason: 'connect ECONNREFUSED 10.0.0.9:9000' },
      ],
      reasons: ["database's offsite copy in destination 's3' is unreachable and not counted: connect ECONNREFUSED 10.0.0.9:9000"],
    });
  });

  it('says no backup was found where it looked, not that none was ever taken', () => {
    const onlyOffsite = assessStatus(plan(), [], [drilled], at(1), new Map([...unreachable, ['local', 'EACCES']]))[0]!;
    expect(onlyOffsite.reasons).toContain("no backup of database found in the destinations that answered ('local', 's3' could not be read)");
    expect(onlyOffsite.health).toBe('critical');
  });

  it('writes lifeboat_destination_up per destination', () => {
    const text = prometheusText('civicq', assessStatus(plan(), [backup('2026-02-14T02:00:00.000Z', ['local'])], [drilled], at(1), unreachable));
    expect(text).toContain('lifeboat_destination_up{plan="civicq",destination="local"} 1\n');
    expect(text).toContain('lifeboat_destination_up{plan="civicq",destination="s3"} 0\n');
  });
});

describe('prometheusText', () => {
  it('writes one gauge per metric and component with labels', () => {
    const text = prometheusText('civicq', assessStatus(plan(), [backup('2026-02-14T02:00:00.000Z')], [drilled], at(2)));
    expect(text).toContain('# TYPE lifeboat_backup_age_seconds gauge');
    expect(text).toContain('lifeboat_backup_age_seconds{plan="civicq",component="database",kind="postgres"} 7200');
    expect(text).toContain('lifeboat_rto_actual_seconds{plan="civicq",component="database",kind="postgres"} 1200');
    expect(text).toContain('lifeboat_rule321_compliant{plan="civicq",component="database",kind="postgres"} 1');
    expect(text).toContain('lifeboat_health{plan="civicq",component="database",kind="postgres"} 0');
  });
});
