import { PlanError, parsePlan, type PlanRegistry } from '@lifeboat/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStrategy } from './index.js';

const registry: PlanRegistry = {
  strategies: [postgresStrategy],
  storage: [{ type: 'fs', config: z.object({ path: z.string().min(1) }), defaultMedium: 'disk' }],
};

const plan = (pitr: string) => `version: 1
name: civicq
destinations:
  local: { type: fs, path: /var/backups }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 5m
    rto: 4h
    destinations: [local]
${pitr}`;

function problems(text: string): string[] {
  try {
    parsePlan(text, 'lifeboat.yaml', registry);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be refused');
}

describe('postgres pitr plan field', () => {
  it('reads baseBackups as a cron expression and walRpo as a duration; dump defaults to true', () => {
    const parsed = parsePlan(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }\n'), 'lifeboat.yaml', registry);
    expect(parsed.components['database']).toMatchObject({ pitr: { baseBackups: '0 2 * * 0', walRpo: 300_000, dump: true } });
    const without = parsePlan(plan(''), 'lifeboat.yaml', registry);
    expect(without.components['database']).not.toHaveProperty('pitr');
  });

  it('refuses a bad schedule, a bad walRpo, an unknown key and a missing field, each in a sentence naming the field', () => {
    expect(problems(plan('    pitr: { baseBackups: "0 2 * *", walRpo: 5m }\n'))).toEqual([
      'lifeboat.yaml: components.database.pitr.baseBackups: has 4 fields: got "0 2 * *"; expected a 5-field cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week) or on-change',
    ]);
    expect(problems(plan('    pitr: { baseBackups: on-change, walRpo: 5m }\n'))[0]).toContain(
      'components.database.pitr.baseBackups: got "on-change"; expected a 5-field cron expression such as "0 2 * * 0"',
    );
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5 minutes }\n'))[0]).toContain(
      'components.database.pitr.walRpo: got "5 minutes"; expected a duration such as 30d, 24h or 15m',
    );
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: "0" }\n'))[0]).toContain('components.database.pitr.walRpo');
    expect(problems(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, walRPO: 1m }\n'))[0]).toContain('components.database.pitr');
    expect(problems(plan('    pitr: { walRpo: 5m }\n'))[0]).toContain('components.database.pitr.baseBackups');
    expect(problems(plan('    pitr: yes\n'))[0]).toContain('components.database.pitr: got "yes"; expected a mapping such as { baseBackups: "0 2 * * 0", walRpo: 5m }');
  });
});

describe('postgres pitr.recovery (the PostgreSQL that replays WAL)', () => {
  const recoveryPlan = (value: string) => plan(`    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, recovery: ${value} }\n`);

  it('reads sharedBuffers as auto (the default) or a size in bytes', () => {
    const defaults = parsePlan(plan('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }\n'), 'lifeboat.yaml', registry);
    expect(defaults.components['database']).toMatchObject({ pitr: { recovery: { sharedBuffers: 'auto' } } });
    expect(parsePlan(recoveryPlan('{ sharedBuffers: 2GiB }'), 'lifeboat.yaml', registry).components['database']).toMatchObject({ pitr: { recovery: { sharedBuffers: 2 * 1024 ** 3 } } });
    expect(parsePlan(recoveryPlan('{ sharedBuffers: auto }'), 'lifeboat.yaml', registry).components['database']).toMatchObject({ pitr: { recovery: { sharedBuffers: 'auto' } } });
  });

  it('refuses a size PostgreSQL would not take, a word, an unknown key and a non-mapping, naming the field', () => {
    const expected = 'expected auto, or a size from 128KiB to 1TiB such as 1GiB (units B, KiB, MiB, GiB, TiB)';
    expect(problems(recoveryPlan('{ sharedBuffers: 64KiB }'))[0]).toContain(`components.database.pitr.recovery.sharedBuffers: got "64KiB"; ${expected}`);
    expect(problems(recoveryPlan('{ sharedBuffers: 1GB }'))[0]).toContain(`components.database.pitr.recovery.sharedBuffers: got "1GB"; ${expected}`);
    expect(problems(recoveryPlan('{ sharedBuffers: lots }'))[0]).toContain(`components.database.pitr.recovery.sharedBuffers: got "lots"; ${expected}`);
    expect(problems(recoveryPlan('{ shared_buffers: 1GiB }'))[0]).toContain('components.database.pitr.recovery');
    expect(problems(recoveryPlan('yes'))[0]).toContain('components.database.pitr.recovery: got "yes"; expected a mapping such as { sharedBuffers: auto } or { sharedBuffers: 2GiB }');
  });
});

describe('postgres pitr.async (spool and background pusher)', () => {
  const asyncPlan = (value: string) => plan(`    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, async: ${value} }\n`);

  it('reads the spool and maxSize in bytes; maxSize defaults to 4GiB', () => {
    const parsed = parsePlan(asyncPlan('{ spool: /var/spool/lifeboat, maxSize: 500MiB }'), 'lifeboat.yaml', registry);
    expect(parsed.components['database']).toMatchObject({ pitr: { async: { spool: '/var/spool/lifeboat', maxSize: 500 * 1024 * 1024 } } });
    const defaults = parsePlan(asyncPlan('{ spool: /var/spool/lifeboat }'), 'lifeboat.yaml', registry);
    expect(defaults.components['database']).toMatchObject({ pitr: { async: { maxSize: 4 * 1024 ** 3 } } });
  });

  it('refuses a relative spool, a size without a binary unit, an unknown key and a non-mapping, naming the field', () => {
    expect(problems(asyncPlan('{ spool: spool }'))[0]).toContain('components.database.pitr.async.spool: got "spool"; expected an absolute path such as /var/spool/lifeboat');
    expect(problems(asyncPlan('{ spool: /s, maxSize: 4GB }'))[0]).toContain(
      'components.database.pitr.async.maxSize: got "4GB"; expected a size such as 4GiB or 500MiB (units B, KiB, MiB, GiB, TiB)',
    );
    expect(problems(asyncPlan('{ spool: /s, maxSize: 0MiB }'))[0]).toContain('components.database.pitr.async.maxSize');
    expect(problems(asyncPlan('{ spool: /s, maxsize: 4GiB }'))[0]).toContain('components.database.pitr.async');
    expect(problems(asyncPlan('yes'))[0]).toContain('components.database.pitr.async: got "yes"; expected a mapping such as { spool: /var/spool/lifeboat, maxSize: 4GiB }');
  });
});

describe('schedule: continuous on a postgres component', () => {
  const continuous = (pitr: string) => plan(pitr).replace('schedule: "0 2 * * *"', 'schedule: continuous');

  it('is its WAL archiving: accepted with pitr:, base backups on pitr.baseBackups, and no daemon without pitr.async', () => {
    const parsed = parsePlan(continuous('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }\n'), 'lifeboat.yaml', registry);
    const database = parsed.components['database']!;
    expect(database.schedule).toEqual({ kind: 'continuous' });
    expect(postgresStrategy.continuous!(database as never)).toEqual({
      how: "PostgreSQL's archive_command runs lifeboat wal push database %p for every WAL segment",
      setup: ['wal', 'setup', 'database'],
      backups: '0 2 * * 0',
    });
  });

  it('with pitr.async adds the pusher as a long-running service that runs as the spool owner and writes the spool', () => {
    const parsed = parsePlan(continuous('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, async: { spool: /var/spool/lifeboat } }\n'), 'lifeboat.yaml', registry);
    expect(postgresStrategy.continuous!(parsed.components['database'] as never)).toMatchObject({
      backups: '0 2 * * 0',
      daemon: { name: 'wal-pusher', args: ['wal', 'pusher', 'database', '--forever'], writable: ['/var/spool/lifeboat/database'], user: 'postgres', uid: 999 },
    });
  });

  it('is refused without pitr:, with one sentence that says what to add', () => {
    expect(problems(continuous(''))).toEqual([
      'lifeboat.yaml: components.database.schedule: \'continuous\' for type postgres is its WAL archiving, and this component has no pitr:; add pitr: { baseBackups: "0 2 * * 0", walRpo: 5m } (see docs/pitr.md), or use a cron expression',
    ]);
  });
});
