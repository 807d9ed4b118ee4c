import { describe, expect, it } from 'vitest';
import { runRecord, type RunComponentRecord, type RunRecord } from './journal.js';
import { backupVerdicts } from './verdicts.js';

function record(operation: RunRecord['operation'], at: string, components: RunComponentRecord[]): RunRecord {
  return runRecord({ id: `r-${at}`, operation, plan: 'p', toolVersion: 't', startedAt: at, finishedAt: at, durationMs: 1, exitCode: 0, components });
}
const verify = (at: string, backups: Record<string, { intact: string[]; damaged: string[] }>, component = 'database') =>
  record('verify', at, [{ component, outcome: 'ok', durationMs: 1, details: { backups } }]);
const drill = (at: string, backupId: string, outcome: 'ok' | 'failed') => record('drill', at, [{ component: 'database', outcome, backupId, durationMs: 1 }]);

describe('backupVerdicts', () => {
  it('takes the latest verify or drill per backup: good when a copy was intact or a drill passed', () => {
    const journal = [
      verify('2030-01-01T00:00:00Z', { x: { intact: ['a', 'b'], damaged: [] }, y: { intact: ['a'], damaged: [] } }),
      drill('2030-01-02T00:00:00Z', 'x', 'failed'),
      verify('2030-01-03T00:00:00Z', { y: { intact: [], damaged: ['a', 'b'] }, z: { intact: ['b'], damaged: ['a'] } }),
      drill('2030-01-04T00:00:00Z', 'w', 'ok'),
      verify('2030-01-05T00:00:00Z', { v: { intact: [], damaged: ['a'] } }, 'redis'),
      record('backup', '2030-01-06T00:00:00Z', [{ component: 'database', outcome: 'ok', backupId: 'u', durationMs: 1 }]),
    ];
    const verdicts = backupVerdicts(journal, 'database');
    expect(Object.fromEntries([...verdicts].map(([id, v]) => [id, [v.operation, v.good, v.at]]))).toEqual({
      x: ['drill', false, '2030-01-02T00:00:00Z'],
      y: ['verify', false, '2030-01-03T00:00:00Z'],
      z: ['verify', true, '2030-01-03T00:00:00Z'],
      w: ['drill', true, '2030-01-04T00:00:00Z'],
    });
    expect(verdicts.get('y')).toMatchObject({ intact: [], damaged: ['a', 'b'] });
  });

  it('ignores verify records written before they listed backups, and malformed entries', () => {
    const old = record('verify', '2030-01-01T00:00:00Z', [{ component: 'database', outcome: 'ok', durationMs: 1, details: { copies: 2, damaged: 0 } }]);
    const odd = record('verify', '2030-01-02T00:00:00Z', [{ component: 'database', outcome: 'ok', durationMs: 1, details: { backups: { x: { intact: 'a' } } } }]);
    expect(backupVerdicts([old, odd], 'database').size).toBe(0);
  });
});
