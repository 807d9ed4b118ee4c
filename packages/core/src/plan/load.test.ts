import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanError, UsageError } from '../errors.js';
import { componentHash, loadPlan, locatePlan, parsePlan, type PlanRegistry } from './load.js';
import { secretRef } from './secret.js';
import { s3LikeLifecycle } from '../test/s3-like-lifecycle.js';

/** A small registry shaped like the real one: a postgres-like strategy, fs and s3-like storage. */
const registry: PlanRegistry = {
  strategies: [
    {
      kind: 'postgres',
      config: z.object({
        url: z.string(),
        format: z.enum(['custom', 'plain']).default('custom'),
        verify: z.object({ tables: z.array(z.string()) }).strict().optional(),
      }),
    },
    { kind: 'files', config: z.object({ paths: z.array(z.string()).min(1) }) },
  ],
  storage: [
    { type: 'fs', config: z.object({ path: z.string().min(1) }), defaultMedium: 'disk' },
    { type: 's3', config: z.object({ bucket: z.string(), region: z.string().optional(), secretAccessKey: secretRef().optional() }), defaultMedium: 'object-storage', capabilities: { lifecycle: s3LikeLifecycle } },
  ],
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** A small valid plan; each malformed case below changes one part of it. */
const BASE = `version: 1
name: civicq
destinations:
  local: { type: fs, path: /var/backups }
  s3: { type: s3, bucket: civicq-backups, offsite: true }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local, s3]
`;

/** BASE with each `[find, replace]` applied; fails loudly if `find` is not there. */
function edit(...changes: Array<[find: string | RegExp, replace: string]>): string {
  return changes.reduce((text, [find, replace]) => {
    const next = text.replace(find, replace);
    if (next === text) throw new Error(`test setup: ${String(find)} not found in the plan`);
    return next;
  }, BASE);
}

/** The problem sentences a plan is refused with. */
function problems(text: string, file = 'lifeboat.yaml'): string[] {
  try {
    parsePlan(text, file, registry);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected the plan to be refused');
}

const DURATION = 'expected a duration such as 30d, 24h or 15m';
const CRON = 'expected a 5-field cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week) or on-change';
const NAME = 'expected a name of lowercase letters, digits, - and _ that starts with a letter or digit';

describe('parsePlan: a valid plan', () => {
  it('normalises durations, schedules and defaults', async () => {
    const text = await readFile(path.join(FIXTURES, 'valid.yaml'), 'utf8');
    const plan = parsePlan(text, 'plans/lifeboat.yaml', registry);

    expect(plan.file).toBe(path.resolve('plans/lifeboat.yaml'));
    expect(plan.dir).toBe(path.resolve('plans'));
    expect(plan).toMatchObject({ version: 1, name: 'civicq', rule321: { copies: 3, media: 2, offsite: 1 } });
    expect(plan.destinations).toEqual({
      // Relative paths stay as written: the storage type resolves them against plan.dir.
      local: { name: 'local', type: 'fs', path: './backups', medium: 'disk', offsite: false },
      s3: { name: 's3', type: 's3', bucket: 'civicq-backups', region: 'us-west-2', medium: 'object-storage', offsite: true },
    });
    expect(plan.components['database']).toEqual({
      name: 'database',
      type: 'postgres',
      url: 'env:DATABASE_URL',
      format: 'custom',
      schedule: { kind: 'cron', expression: '0 2 * * *' },
      rpo: 24 * HOUR,
      rto: 4 * HOUR,
      destinations: ['local', 's3'],
      retention: {
        local: { within: 30 * DAY, minimum: 1 },
        s3: { within: 90 * DAY, keepMonthly: 12, minimum: 3 },
      },
      prune: 'auto',
      require: 'all',
      verify: { tables: ['users', 'questions'] },
      hooks: {
        beforeBackup: [],
        afterBackup: [],
        beforeRestore: ['docker-compose stop backend'],
        afterRestore: ['docker-compose up -d'],
      },
    });
    expect(plan.components['config']).toEqual({
      name: 'config',
      type: 'files',
      paths: ['/etc/civicq'],
      schedule: { kind: 'on-change' },
      rpo: 0,
      rto: 90 * 60_000,
      destinations: ['local', 's3'],
      retention: {},
      prune: 'auto',
      require: 'all',
      hooks: { beforeBackup: [], afterBackup: [], beforeRestore: [], afterRestore: [] },
    });
    expect(plan.legalHolds).toEqual([]);
    expect(plan.lifecycle).toEqual({});
  });

  it('reads legal holds, lifecycle rules (by destination or bucket name) and prune: manual', () => {
    const text =
      edit(['    rto: 4h\n', '    rto: 4h\n    prune: manual\n']) +
      `legalHolds:
  - { component: database, from: 2026-10-01, to: "2026-11-03T23:59:59Z", until: 2028-09-03, reason: election + 22 months }
  - { component: database, until: 2033-02-14, reason: "user data: 7 years" }
lifecycle:
  civicq-backups: { scope: artifacts, transitions: [{ days: 30, class: STANDARD_IA }, { days: 90, class: GLACIER }], expireDays: 2555 }
  local: { expireDays: 400, prefix: database/ }
`;
    const plan = parsePlan(text, 'lifeboat.yaml', registry);
    expect(plan.components['database']?.prune).toBe('manual');
    expect(plan.legalHolds).toEqual([
      { component: 'database', from: '2026-10-01', to: '2026-11-03T23:59:59Z', until: '2028-09-03', reason: 'election + 22 months' },
      { component: 'database', until: '2033-02-14', reason: 'user data: 7 years' },
    ]);
    expect(plan.lifecycle).toEqual({
      'civicq-backups': { scope: 'artifacts', transitions: [{ days: 30, class: 'STANDARD_IA' }, { days: 90, class: 'GLACIER' }], expireDays: 2555 },
      local: { scope: 'bucket', prefix: 'database/', transitions: [], expireDays: 400 },
    });
  });

  it('leaves rule321 out when the plan has none, and takes "0" and extra cron spaces', () => {
    const plan = parsePlan(edit(['rpo: 24h', 'rpo: "0"']), 'lifeboat.yaml', registry);
    expect(plan).not.toHaveProperty('rule321');
    expect(plan.components['database']).toMatchObject({ rpo: 0 });

    const spaced = parsePlan(edit(['"0 2 * * *"', '" 30  2 * * 1-5 "']), 'lifeboat.yaml', registry);
    expect(spaced.components['database']?.schedule).toEqual({ kind: 'cron', expression: '30 2 * * 1-5' });
  });

  it('reads what a runbook is about, and refuses a runbook that names no component or type of the plan', () => {
    const book = (about: string, component: string) =>
      `runbooks:\n  - { id: corruption, title: Corruption, about: [${about}], steps: [{ title: Check, action: { type: verify, component: ${component} } }] }\n`;
    expect(parsePlan(BASE + book('postgres', 'database'), 'lifeboat.yaml', registry).runbooks[0]).toMatchObject({ about: ['postgres'] });
    expect(problems(BASE + book('postgress', 'db'))).toEqual([
      'lifeboat.yaml: runbooks[0].about[0]: no such component or type: got "postgress"; expected a component of this plan or a type of one: database, postgres (did you mean "postgres"?)',
      'lifeboat.yaml: runbooks[0].steps[0].action.component: no such component or type: got "db"; expected a component of this plan or a type of one: database, postgres',
    ]);
  });

  it('accepts YAML merge keys, so components can share settings', () => {
    const text = edit(['  database:\n', '  database: &pg\n']) + '  replica:\n    <<: *pg\n    url: env:REPLICA_URL\n';
    const plan = parsePlan(text, 'lifeboat.yaml', registry);
    expect(plan.components['replica']).toMatchObject({ name: 'replica', url: 'env:REPLICA_URL', rpo: 24 * HOUR, destinations: ['local', 's3'] });
  });
});

describe('parsePlan: every malformed plan is refused with sentences that say what to fix', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'unknown top-level key',
      edit(['name: civicq\n', 'name: civicq\nnotes: nightly\n']),
      ['lifeboat.yaml: unknown key "notes"; expected one of version, name, destinations, rule321, encryption, notify, runbooks, components, schedules, legalHolds, lifecycle'],
    ],
    [
      'misspelt top-level key, with a suggestion',
      edit(['name: civicq\n', 'name: civicq\nrule312: { copies: 3, media: 2, offsite: 1 }\n']),
      ['lifeboat.yaml: unknown key "rule312" (did you mean "rule321"?)'],
    ],
    [
      'misspelt component key, with a suggestion',
      edit(['    schedule:', '    schedul:']),
      [`lifeboat.yaml: components.database.schedule: missing; ${CRON}`, 'lifeboat.yaml: components.database: unknown key "schedul" (did you mean "schedule"?)'],
    ],
    [
      'a key of another component type',
      edit(['    rto: 4h\n', '    rto: 4h\n    bucket: civicq-media\n']),
      [
        'lifeboat.yaml: components.database: unknown key "bucket"; expected one of type, schedule, rpo, rto, destinations, retention, prune, hooks, drill, require, url, format, verify',
      ],
    ],
    ['bad duration', edit(['rpo: 24h', 'rpo: 24 hours']), [`lifeboat.yaml: components.database.rpo: got "24 hours"; ${DURATION}`]],
    ['duration without a unit', edit(['rpo: 24h', 'rpo: 30']), [`lifeboat.yaml: components.database.rpo: got 30; ${DURATION}`]],
    ['rto of zero', edit(['rto: 4h', 'rto: 0']), ['lifeboat.yaml: components.database.rto: got 0; expected a duration longer than 0, such as 4h']],
    [
      'stallTimeout of a destination that is not a duration',
      edit(['offsite: true }', 'offsite: true, stallTimeout: soon }']),
      [`lifeboat.yaml: destinations.s3.stallTimeout: got "soon"; ${DURATION}`],
    ],
    [
      '6-field cron',
      edit(['"0 2 * * *"', '"0 0 2 * * *"']),
      [`lifeboat.yaml: components.database.schedule: has 6 fields; seconds are not supported: got "0 0 2 * * *"; ${CRON}`],
    ],
    [
      'cron nickname',
      edit(['"0 2 * * *"', '"@daily"']),
      [`lifeboat.yaml: components.database.schedule: has 1 field: got "@daily"; ${CRON}`],
    ],
    [
      'cron that never fires',
      edit(['"0 2 * * *"', '"0 2 31 2 *"']),
      [`lifeboat.yaml: components.database.schedule: never fires (no date matches it): got "0 2 31 2 *"; ${CRON}`],
    ],
    [
      'unknown component type, with the known kinds',
      edit(['type: postgres', 'type: postgresql']),
      ['lifeboat.yaml: components.database.type: got "postgresql"; expected one of the component types: postgres, files (did you mean "postgres"?)'],
    ],
    [
      'unknown component type still has its common fields checked',
      edit(['type: postgres', 'type: mysql'], ['rpo: 24h', 'rpo: daily']),
      [
        'lifeboat.yaml: components.database.type: got "mysql"; expected one of the component types: postgres, files',
        `lifeboat.yaml: components.database.rpo: got "daily"; ${DURATION}`,
      ],
    ],
    [
      'unknown storage type',
      edit(['type: s3,', 'type: gcs,']),
      ['lifeboat.yaml: destinations.s3.type: got "gcs"; expected one of the storage types: fs, s3'],
    ],
    [
      'unknown destination reference',
      edit(['[local, s3]', '[local, s4]']),
      ['lifeboat.yaml: components.database.destinations[1]: got "s4"; expected one of the destinations defined at the top: local, s3'],
    ],
    [
      'destination listed twice',
      edit(['[local, s3]', '[local, s3, local]']),
      ['lifeboat.yaml: components.database.destinations[2]: listed twice: got "local"; expected each destination once'],
    ],
    [
      'component with no destinations',
      edit(['[local, s3]', '[]']),
      ['lifeboat.yaml: components.database.destinations: got []; expected at least one of the destinations defined at the top: local, s3'],
    ],
    [
      'retention for a destination the component does not use',
      edit(['[local, s3]', '[local]'], ['    rto: 4h\n', '    rto: 4h\n    retention: { s3: { within: 90d } }\n']),
      [
        'lifeboat.yaml: components.database.retention.s3: retention for a destination this component does not use: got "s3"; expected one of its destinations: local',
      ],
    ],
    [
      'retention that keeps nothing',
      edit(['    rto: 4h\n', '    rto: 4h\n    retention: { local: { minimum: 3 } }\n']),
      [
        'lifeboat.yaml: components.database.retention.local: keeps nothing: got {"minimum":3}; expected at least one of within, keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly',
      ],
    ],
    [
      'retention count that is not a whole number',
      edit(['    rto: 4h\n', '    rto: 4h\n    retention: { local: { keepDaily: 1.5 } }\n']),
      ['lifeboat.yaml: components.database.retention.local.keepDaily: got 1.5; expected a whole number, 0 or more'],
    ],
    [
      'a 3-2-1 rule the destinations cannot meet',
      edit(['name: civicq\n', 'name: civicq\nrule321: { copies: 4, media: 2, offsite: 1 }\n']),
      [
        expect.stringMatching(
          /^lifeboat\.yaml: components\.\w+\.destinations: with [\w, ]+ this component can keep at most \d copies \(counting the live data\) on \d medi(um|a) with \d offsite; rule321 asks for 4 copies, 2 media and 1 offsite; add a destination of another medium/,
        ),
      ],
    ],
    ['wrong version', edit(['version: 1', 'version: 2']), ['lifeboat.yaml: version: got 2; expected 1 (the only plan format this version of Lifeboat reads)']],
    ['missing name', edit(['name: civicq\n', '']), [`lifeboat.yaml: name: missing; ${NAME}`]],
    ['invalid plan name', edit(['name: civicq', 'name: CivicQ Prod']), [`lifeboat.yaml: name: got "CivicQ Prod"; ${NAME}`]],
    ['invalid component name', edit(['  database:', '  Database:']), [`lifeboat.yaml: components.Database: invalid name: got "Database"; ${NAME}`]],
    [
      'component named like a repository folder',
      edit(['  database:', '  wal:']),
      ['lifeboat.yaml: components.wal: invalid name: got "wal"; expected a name other than wal, runs, locks (the repository keeps its own folders under those)'],
    ],
    [
      'destinations empty',
      edit([/destinations:\n {2}local[^]*?\ncomponents/, 'destinations: {}\ncomponents']),
      // Components naming destinations are not also blamed: the cause is the empty list.
      ['lifeboat.yaml: destinations: got {}; expected at least one destination (type: fs, s3)'],
    ],
    [
      'literal password in a url, hidden in the message',
      edit(['url: env:DATABASE_URL', 'url: postgres://app:hunter2@db.internal:5432/civicq']),
      ['lifeboat.yaml: components.database.url: a password is written in the plan: got "postgres://app:***@db.internal:5432/civicq"; use env:NAME or file:/path'],
    ],
    [
      'literal secret in a reference-only field, not shown',
      edit(['offsite: true }', 'offsite: true, secretAccessKey: wJalrXUtnFEMI }']),
      [
        'lifeboat.yaml: destinations.s3.secretAccessKey: holds a literal, not a reference (not shown, in case it is the secret); expected a secret reference, env:NAME or file:/path',
      ],
    ],
    ['number where text is expected', edit(['path: /var/backups', 'path: 5']), ['lifeboat.yaml: destinations.local.path: got 5; expected text']],
    [
      'value outside a strategy enum',
      edit(['    rto: 4h\n', '    rto: 4h\n    format: directory\n']),
      ['lifeboat.yaml: components.database.format: got "directory"; expected one of "custom", "plain"'],
    ],
    [
      'unknown key in a strategy nested object',
      edit(['    rto: 4h\n', '    rto: 4h\n    verify: { tables: [users], tabels: [cities] }\n']),
      ['lifeboat.yaml: components.database.verify: unknown key "tabels" (did you mean "tables"?)'],
    ],
    [
      'empty hook command',
      edit(['    rto: 4h\n', '    rto: 4h\n    hooks: { beforeBackup: ["  "] }\n']),
      ['lifeboat.yaml: components.database.hooks.beforeBackup[0]: got "  "; expected a non-empty command'],
    ],
    [
      'rule321 with zero copies',
      edit(['name: civicq\n', 'name: civicq\nrule321: { copies: 0, media: 2, offsite: 1 }\n']),
      ['lifeboat.yaml: rule321.copies: got 0; expected a whole number, 1 or more'],
    ],
    [
      'encryption recipient that is not an age X25519 key',
      edit(['name: civicq\n', 'name: civicq\nencryption: { recipients: [age1xyz] }\n']),
      ['lifeboat.yaml: encryption.recipients[0]: got "age1xyz"; expected an age X25519 recipient (age1 followed by 58 characters, as age-keygen prints)'],
    ],
    [
      'encryption identity written as a literal',
      edit(['name: civicq\n', 'name: civicq\nencryption: { recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p], identity: AGE-SECRET-KEY-1ABC }\n']),
      [expect.stringMatching(/^lifeboat\.yaml: encryption\.identity: holds a literal, not a reference \(not shown, in case it is the secret\)/)],
    ],
    [
      'prune that is neither auto nor manual',
      edit(['    rto: 4h\n', '    rto: 4h\n    prune: never\n']),
      ['lifeboat.yaml: components.database.prune: got "never"; expected auto (prune after each successful backup) or manual (only lifeboat prune)'],
    ],
    [
      'legal hold on a component the plan does not have, with a suggestion',
      BASE + 'legalHolds:\n  - { component: databse, until: 2028-09-03, reason: election + 22 months }\n',
      ['lifeboat.yaml: legalHolds[0].component: no such component: got "databse"; expected one of the components: database (did you mean "database"?)'],
    ],
    [
      'legal hold until a date that does not exist, and without a reason',
      BASE + 'legalHolds:\n  - { component: database, until: 2028-02-30 }\n',
      [
        // A missing key sorts where its mapping starts.
        'lifeboat.yaml: legalHolds[0].reason: missing; expected a reason people will read (text)',
        'lifeboat.yaml: legalHolds[0].until: got "2028-02-30"; expected a date such as 2028-09-03 (YYYY-MM-DD, UTC)',
      ],
    ],
    [
      'legal hold whose range ends before it starts',
      BASE + 'legalHolds:\n  - { component: database, from: 2026-11-03, to: 2026-10-01, until: 2028-09-03, reason: x }\n',
      ['lifeboat.yaml: legalHolds[0].to: ends before it starts: got "2026-10-01"; expected a time no earlier than from (2026-11-03)'],
    ],
    [
      'legal hold with a time that is not ISO',
      BASE + 'legalHolds:\n  - { component: database, from: 3 Nov 2026, until: 2028-09-03, reason: x }\n',
      ['lifeboat.yaml: legalHolds[0].from: got "3 Nov 2026"; expected a date such as 2026-11-03 or an ISO time such as 2026-11-03T12:00:00Z'],
    ],
    [
      'lifecycle for a bucket no destination uses',
      BASE + 'lifecycle:\n  civicq-media: { scope: artifacts, expireDays: 90 }\n',
      [
        'lifeboat.yaml: lifecycle.civicq-media: names no destination or bucket of this plan: got "civicq-media"; expected a destination name or the bucket of an s3 destination: local, s3, civicq-backups',
      ],
    ],
    [
      'lifecycle transition to an unknown storage class',
      BASE + 'lifecycle:\n  s3: { scope: artifacts, transitions: [{ days: 90, class: GLACIER_FLEXIBLE }] }\n',
      [
        'lifeboat.yaml: lifecycle.s3.transitions[0].class: got "GLACIER_FLEXIBLE"; expected one of STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE',
      ],
    ],
    [
      'lifecycle rule that does nothing',
      BASE + 'lifecycle:\n  s3: { scope: artifacts }\n',
      ['lifeboat.yaml: lifecycle.s3: does nothing: got {"scope":"artifacts"}; expected transitions, expireDays or both'],
    ],
    [
      'notify channel of an unknown type',
      edit(['name: civicq\n', 'name: civicq\nnotify: [{ type: pager, url: x }]\n']),
      [expect.stringMatching(/^lifeboat\.yaml: notify\[0\]\.type: got "pager"; expected .*webhook.*email.*ping/)],
    ],
    [
      'notify severity misspelt',
      edit(['name: civicq\n', 'name: civicq\nnotify: [{ type: webhook, url: env:HOOK, severities: [sev4] }]\n']),
      ['lifeboat.yaml: notify[0].severities[0]: got "sev4"; expected sev1, sev2 or sev3'],
    ],
    [
      'components missing',
      edit([/components:[^]*/, '']),
      ['lifeboat.yaml: components: missing; expected a mapping of component names to components (type: postgres, files)'],
    ],
    [
      'a component that is not a mapping',
      edit([/ {2}database:[^]*/, '  database: postgres\n']),
      ['lifeboat.yaml: components.database: got "postgres"; expected a mapping with a type: postgres, files'],
    ],
    [
      'long values are cut short',
      edit(['rpo: 24h', `rpo: "${'1'.repeat(100)}"`]),
      [`lifeboat.yaml: components.database.rpo: got "${'1'.repeat(56)}...; ${DURATION}`],
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('has at least 20 malformed plans', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it('reports several problems together, in the order they appear in the file', () => {
    const text = edit(
      ['version: 1', 'version: "1"'],
      ['path: /var/backups', 'path: ""'],
      ['    schedule:', '    schedul:'],
      ['rpo: 24h', 'rpo: 1 day'],
      ['[local, s3]', '[local, tape]'],
    );
    expect(problems(text)).toEqual([
      'lifeboat.yaml: version: got "1"; expected 1 (the only plan format this version of Lifeboat reads)',
      'lifeboat.yaml: destinations.local.path: got ""; expected non-empty text',
      `lifeboat.yaml: components.database.schedule: missing; ${CRON}`,
      'lifeboat.yaml: components.database: unknown key "schedul" (did you mean "schedule"?)',
      `lifeboat.yaml: components.database.rpo: got "1 day"; ${DURATION}`,
      'lifeboat.yaml: components.database.destinations[1]: got "tape"; expected one of the destinations defined at the top: local, s3',
    ]);
    expect(() => parsePlan(text, 'lifeboat.yaml', registry)).toThrow(/^6 problems in the plan:\n- lifeboat\.yaml: version: /);
  });

  it('names an invalid cron field', () => {
    expect(problems(edit(['"0 2 * * *"', '"61 2 * * *"']))).toEqual([
      expect.stringMatching(/^lifeboat\.yaml: components\.database\.schedule: not a valid cron expression \(.*minute.*61.*\): got "61 2 \* \* \*"; expected a 5-field cron/),
    ]);
  });

  it('never shows a password, wherever it is written', () => {
    const text = edit(['type: postgres', 'type: postgres\n    drill: { target: "redis://:hunter2@cache:6379/0" }']);
    const found = problems(text);
    expect(found).toEqual([
      'lifeboat.yaml: components.database.drill.target: a password is written in the plan: got "redis://:***@cache:6379/0"; use env:NAME or file:/path',
    ]);
    expect(found.join('\n')).not.toContain('hunter2');
  });

  it('quotes the file as given', () => {
    expect(problems(edit(['rpo: 24h', 'rpo: soon']), 'plans/civicq.yaml')).toEqual([`plans/civicq.yaml: components.database.rpo: got "soon"; ${DURATION}`]);
  });
});

describe('parsePlan: files that are not a plan at all', () => {
  it.each([
    ['empty file', '', 'lifeboat.yaml: the file is empty; expected a mapping with version: 1, name, destinations and components'],
    ['only comments', '# todo\n', 'lifeboat.yaml: the file is empty; expected a mapping with version: 1, name, destinations and components'],
    ['a list', '- version: 1\n', 'lifeboat.yaml: got a list at the top; expected a mapping with version: 1, name, destinations and components'],
    ['a scalar', 'civicq\n', 'lifeboat.yaml: got "civicq" at the top; expected a mapping with version: 1, name, destinations and components'],
  ])('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual([expected]);
  });

  it('gives the line and column of a YAML syntax error', () => {
    expect(problems(edit(['    rto: 4h', '    rto: [4h']))).toEqual([
      'lifeboat.yaml: line 13, column 5: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports one YAML error per line, not the echoes of one mistake', () => {
    expect(problems(edit(['    rto: 4h', '   rto: 4h']))).toEqual([
      'lifeboat.yaml: line 12, column 1: invalid YAML: All mapping items must start at the same column',
    ]);
  });

  it('refuses a duplicate key, naming it and its line', () => {
    expect(problems(edit(['    rto: 4h\n', '    rto: 4h\n    rpo: 1h\n']))).toEqual([
      'lifeboat.yaml: line 13, column 5: the key "rpo" appears twice in the same mapping; keep one',
    ]);
  });
});

describe('loadPlan', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-plan-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the file and records its absolute path and folder', async () => {
    const file = path.join(dir, 'lifeboat.yaml');
    await writeFile(file, BASE);
    const plan = await loadPlan(file, registry);
    expect(plan.file).toBe(file);
    expect(plan.dir).toBe(dir);
    expect(Object.keys(plan.components)).toEqual(['database']);
  });

  it('says how to point at a plan when the file is missing', async () => {
    const file = path.join(dir, 'missing.yaml');
    await expect(loadPlan(file, registry)).rejects.toThrow(
      new PlanError([`plan file ${file} not found; pass --plan FILE or set LIFEBOAT_PLAN`]),
    );
    await expect(loadPlan('./no-such-lifeboat.yaml', registry)).rejects.toThrow(
      'plan file ./no-such-lifeboat.yaml not found; pass --plan FILE or set LIFEBOAT_PLAN',
    );
  });

  it('refuses a folder', async () => {
    await expect(loadPlan(dir, registry)).rejects.toThrow(`plan file ${dir} cannot be read: EISDIR`);
  });
});

describe('locatePlan', () => {
  const cwd = process.cwd();

  it('prefers --plan, then LIFEBOAT_PLAN, then ./lifeboat.yaml', () => {
    expect(locatePlan({ flag: 'a.yaml', env: { LIFEBOAT_PLAN: 'b.yaml' }, cwd })).toBe('a.yaml');
    expect(locatePlan({ env: { LIFEBOAT_PLAN: 'b.yaml' }, cwd })).toBe('b.yaml');
    expect(locatePlan({ env: {}, cwd })).toBe('./lifeboat.yaml');
    expect(locatePlan({ env: { LIFEBOAT_PLAN: '' }, cwd })).toBe('./lifeboat.yaml');
  });

  it('keeps absolute paths, and resolves relative ones against another folder', () => {
    expect(locatePlan({ flag: '/etc/lifeboat/plan.yaml', env: {}, cwd: '/srv' })).toBe('/etc/lifeboat/plan.yaml');
    expect(locatePlan({ env: {}, cwd: '/srv/civicq' })).toBe('/srv/civicq/lifeboat.yaml');
  });

  it('refuses an empty --plan', () => {
    expect(() => locatePlan({ flag: '', env: {}, cwd })).toThrow(UsageError);
  });
});

describe('componentHash', () => {
  const hashOf = (text: string) => componentHash(parsePlan(text, 'lifeboat.yaml', registry), 'database');

  it('is a sha256 that ignores spelling and key order but not meaning', () => {
    const base = hashOf(BASE);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf(edit(['rpo: 24h', 'rpo: 1d']))).toBe(base);
    expect(hashOf(edit(['    rpo: 24h\n    rto: 4h\n', '    rto: 4h\n    rpo: 24h\n']))).toBe(base);
    expect(hashOf(edit(['    rto: 4h\n', '    rto: 4h\n    format: custom\n']))).toBe(base);
    expect(hashOf(edit(['rpo: 24h', 'rpo: 12h']))).not.toBe(base);
    expect(hashOf(edit(['    rto: 4h\n', '    rto: 4h\n    format: plain\n']))).not.toBe(base);
  });

  it('refuses a component the plan does not have', () => {
    const plan = parsePlan(BASE, 'lifeboat.yaml', registry);
    expect(() => componentHash(plan, 'redis')).toThrow('plan civicq has no component named "redis"; it has: database');
  });
});
