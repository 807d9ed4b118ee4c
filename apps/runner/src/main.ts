import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, LifeboatError, UsageError, describeError, exposeCollector, identityOf, loadPlan, locatePlan, parseDuration, type Plan, type RunListener } from '@lifeboat/core';
import { createAlerter, operationsContext, type Alerter, type OperationsContext } from '@lifeboat/operations/context';
import type { Environment } from './environment.js';
import { humanListener } from './output/human.js';
import { jsonLogListener } from './output/json-log.js';
import { prioritized, stderrPriority } from './output/journal.js';
import { createRegistry } from './registry.js';
import { VERSION, VERSION_TEXT } from './version.js';
import { restoreFlags, restoreHelp } from './commands/restore-help.js';
import { DEFAULT_ENV_FILE, DEFAULT_EXEC } from './systemd/units.js';
import { DEFAULT_UNIT_DIR } from './systemd/unit-dir.js';

type Action = (ctx: CommandContext, ...args: never[]) => Promise<number>;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** What every command gets: the environment, the registry, and how to load the plan and report. */
export interface CommandContext {
  environment: Environment;
  io: Io;
  registry: ReturnType<typeof createRegistry>;
  version: string;
  signal: AbortSignal;
  /** --plan as given, if given. */
  planFlag?: string;
  /** The plan file loadPlan reads (--plan, else $LIFEBOAT_PLAN, else ./lifeboat.yaml). */
  planFile(): string;
  loadPlan(): Promise<Plan>;
  /** The event view chosen by --log-format (JSON lines off a TTY). */
  listener(forceHuman?: boolean): RunListener;
  /** What operations on `plan` need (engine, alerter, identity), reporting through `listener()`. */
  engine(plan: Plan): OperationsContext;
  /** The plan's notify channels. */
  alerter: Alerter;
}

const EXAMPLES = `
Examples:
  $ lifeboat backup                      back up every component of ./lifeboat.yaml
  $ lifeboat --plan /etc/lifeboat.yaml backup database
  $ lifeboat list database --json        the catalog, read from the destinations
  $ lifeboat restore database --to env:RESTORE_URL
  $ lifeboat restore database --backup 20260214T020000Z-3f9a1c --to env:RESTORE_URL --clean --yes
  $ lifeboat demo                        the whole loop on a throwaway local PostgreSQL

Exit codes: 0 ok · 1 failed · 2 bad usage or plan · 3 unhealthy · 75 another run holds the lock`;

export async function main(argv: string[], environment: Environment, rawIo: Io, signal: AbortSignal): Promise<number> {
  const io: Io = environment.journal.stderr ? { ...rawIo, stderr: prioritized(rawIo.stderr, stderrPriority) } : rawIo;
  // Backups and restores stream through node: collect dead chunks every few MiB so memory stays flat (pipeline/garbage.ts).
  exposeCollector();
  const registry = createRegistry();
  let exitCode: number = ExitCode.ok;
  const program = new Command('lifeboat')
    .description('Backups you can prove you can restore: PostgreSQL, Redis and files, to local folders and S3, from one plan.')
    .version(VERSION_TEXT, '-V, --version')
    .option('-p, --plan <file>', 'the plan (default: $LIFEBOAT_PLAN, else ./lifeboat.yaml, else /etc/lifeboat/lifeboat.yaml)')
    .addOption(new Option('--log-format <format>', 'how to print run events').choices(['auto', 'json', 'human']).default('auto'))
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const context = (): CommandContext => {
    const opts = program.opts<{ plan?: string; logFormat: 'auto' | 'json' | 'human' }>();
    const ctx: CommandContext = {
      environment,
      io,
      registry,
      version: VERSION,
      signal,
      ...(opts.plan !== undefined ? { planFlag: opts.plan } : {}),
      planFile: () => locatePlan({ flag: opts.plan, env: { LIFEBOAT_PLAN: environment.planFromEnv }, cwd: environment.cwd, system: environment.systemPlan }),
      loadPlan: () => loadPlan(ctx.planFile(), registry),
      listener: (forceHuman = false) => {
        const human = opts.logFormat === 'human' || (opts.logFormat === 'auto' && (forceHuman || environment.stdoutIsTTY));
        return human
          ? humanListener({ out: io.stdout, isTTY: environment.stdoutIsTTY, color: environment.stdoutIsTTY && !environment.noColor, journal: environment.journal.stdout })
          : jsonLogListener(io.stdout, { journal: environment.journal.stdout });
      },
      alerter: createAlerter(
        environment.env,
        VERSION,
        (message) => io.stderr.write(`lifeboat: warning: ${message}\n`),
        () => environment.now ?? new Date(),
      ),
      engine: (plan) =>
        operationsContext(
          {
            plan,
            registry,
            env: environment.env,
            lockDir: environment.lockDir,
            toolVersion: VERSION,
            onEvent: ctx.listener(),
            signal,
            identity: identityOf(environment.env),
            ...(environment.now ? { now: () => environment.now! } : {}),
            ...(environment.spoolDir ? { spoolDir: resolve(environment.cwd, environment.spoolDir) } : {}),
            ...(environment.selfCommand ? { selfCommand: environment.selfCommand } : {}),
          },
          ctx.alerter,
        ),
    };
    return ctx;
  };
  const run = (action: Action) =>
    async (...args: unknown[]) => {
      // Refused here, not at start-up: --help and --version still answer.
      if (environment.invalid) throw new UsageError(environment.invalid);
      exitCode = await action(context(), ...(args as never[]));
    };
  // Each command's module loads when it runs: most pull in what only they need (verify, the TUI, the AWS SDK).
  const lazy = <K extends string>(load: () => Promise<Record<K, Action>>, name: K) =>
    run(async (ctx, ...args) => (await load())[name](ctx, ...args));

  program
    .command('backup')
    .description('back up components (default: all) to every destination they name')
    .argument('[components...]', 'components of the plan')
    .addHelpText('after', '\nExamples:\n  $ lifeboat backup\n  $ lifeboat backup database redis')
    .action(lazy(() => import('./commands/backup.js'), 'backupCommand'));

  program
    .command('list')
    .description('list complete backups, read from the destinations themselves')
    .argument('[component]', 'only this component')
    .option('--json', 'print a JSON array')
    .addHelpText('after', '\nExamples:\n  $ lifeboat list\n  $ lifeboat list database --json | jq \'.[-1].id\'')
    .action(lazy(() => import('./commands/list.js'), 'listCommand'));

  // Its --to, --clean and kind-specific flags come from the strategies' restore surfaces (restore-help.ts).
  const restoreText = restoreHelp(registry.strategies);
  const restore = program
    .command('restore')
    .description('restore a backup of a component (default: its latest), or list what it holds')
    .argument('<component>', 'component of the plan')
    .option('--to <target>', restoreText.to);
  for (const flag of restoreFlags(registry.strategies)) {
    if (flag.parse) restore.option(flag.flags, flag.description, flag.parse);
    else restore.option(flag.flags, flag.description);
  }
  restore
    .option('--list', 'list what the backup holds; restore nothing')
    .option('--backup <id>', 'which backup (default: the latest complete one)')
    .option('--clean', restoreText.clean)
    .option('-y, --yes', 'confirm a destructive restore')
    .option('--spool-dir <dir>', 'where the backup is read whole and checked before anything changes (default: $LIFEBOAT_SPOOL_DIR or the temp folder)')
    .option('--json', 'print what the backup holds (--list) or the restore\'s outcome (a table restore\'s report) as JSON')
    .addHelpText('after', restoreText.examples)
    .action(lazy(() => import('./commands/restore.js'), 'restoreCommand'));

  program
    .command('verify')
    .description('re-read backups from every destination and check size and sha256 against their manifests (exit 3 on damage)')
    .argument('[components...]', 'components of the plan (default: all)')
    .option('--deep', 'also check structure with stock tools (pg_restore --list, RDB checksum, tar listing)')
    .option('--sample <pct>', 'read only this percentage of copies, rotating daily so all are read over time', percent)
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat verify\n  $ lifeboat verify database --deep\n  $ lifeboat verify --sample 10        # daily timer: everything is read every 10 days')
    .action(lazy(() => import('./commands/verify.js'), 'verifyCommand'));

  program
    .command('drill')
    .description("restore into the component's drill target (never production), compare, health-check, and record the RTO actual")
    .argument('[components...]', 'components of the plan (default: all with a drill target)')
    .option('--backup <id>', 'which backup (default: the latest complete one)')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat drill\n  $ lifeboat drill database --backup 20260214T020000Z-3f9a1c')
    .action(lazy(() => import('./commands/drill.js'), 'drillCommand'));

  program
    .command('status')
    .description('every component against its RPO, RTO and the 3-2-1 rule, read from the destinations (exit 3 unless all healthy)')
    .option('--json', 'print the status as JSON')
    .option('--prometheus <file>', 'also write node_exporter textfile metrics to this file (atomically)')
    .option('--notify', "send alerts for what is not healthy to the plan's notify channels")
    .addHelpText('after', '\nExamples:\n  $ lifeboat status\n  $ lifeboat status --prometheus /var/lib/node_exporter/textfile/lifeboat.prom --notify')
    .action(lazy(() => import('./commands/status.js'), 'statusCommand'));

  program
    .command('doctor')
    .description('preflight: plan, secrets, sources, a write/read/delete probe, free space and clock of each destination, the age identity, timers, and backups, verifies and drills against RPO and timers — one line per check (exit 3 on anything critical)')
    .option('--json', 'print the checks as JSON (versioned)')
    .option('--nagios', 'a Nagios summary line first, and Nagios exit codes: 0 ok, 1 warning, 2 critical, 3 unknown')
    .option('--unit-dir <dir>', 'where lifeboat systemd install put the units', DEFAULT_UNIT_DIR)
    .addHelpText(
      'after',
      '\nExamples:\n  $ lifeboat doctor                      after editing the plan\n  $ lifeboat doctor --json | jq \'.checks[] | select(.level != "ok")\'\n  $ lifeboat --plan /etc/lifeboat/lifeboat.yaml doctor --nagios   # an NRPE / Icinga check command',
    )
    .action(lazy(() => import('./commands/doctor.js'), 'doctorCommand'));

  program
    .command('report')
    .description('the RPO and RTO tables with their Actual column and the audit controls (RPO, encryption, retention and holds, 3-2-1, drills, verify, failures), from the journal and the catalog; unknown is never compliant')
    .option('--since <duration>', 'the period, back from now', '90d')
    .addOption(new Option('--format <format>', 'html (one self-contained file, charts as inline SVG), json (versioned) or csv').choices(['html', 'json', 'csv']).default('html'))
    .option('--out <file>', 'write it to this file (default: stdout)')
    .addHelpText('after', '\nExamples:\n  $ lifeboat report --out /var/www/backup-report.html\n  $ lifeboat report --since 365d --format json | jq \'.controls[] | {id, compliance}\'\n  $ lifeboat report --format csv --out q3.csv')
    .action(lazy(() => import('./commands/report.js'), 'reportCommand'));

  program
    .command('history')
    .description('the run journal: backups, verifies and drills, read from the destinations')
    .argument('[component]', 'only runs that touched this component')
    .option('--json', 'print the records as JSON')
    .action(lazy(() => import('./commands/history.js'), 'historyCommand'));

  program
    .command('keys')
    .description('age keys for encryption.recipients / encryption.identity')
    .command('generate')
    .description('write a new age identity file (0600) and print its recipient')
    .requiredOption('--out <file>', 'where to write the identity (never overwritten); - for stdout')
    .addHelpText('after', '\nExamples:\n  $ lifeboat keys generate --out /etc/lifeboat/age.key\n  $ lifeboat keys generate --out /media/usb/break-glass.key   # offline copy')
    .action(lazy(() => import('./commands/keys.js'), 'keysGenerateCommand'));

  // Retention (issue 6): prune, pins, and the plan check that backup and prune also make.
  program
    .command('prune')
    .description("apply each destination's retention policy: print every decision with its reason, delete (with --yes) manifest first, and remove debris")
    .argument('[components...]', 'components of the plan (default: all)')
    .option('--dry-run', 'decide and print; delete nothing')
    .option('-y, --yes', 'delete what the policy lets go (timers pass this)')
    .option('--json', 'print the decisions as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat prune --dry-run\n  $ lifeboat prune database --yes\n  $ lifeboat prune --dry-run --json | jq \'.[].destinations[].delete\'')
    .action(lazy(() => import('./commands/prune.js'), 'pruneCommand'));
  program
    .command('pin')
    .description('keep a backup whatever the retention policy says (a pin.json beside its manifest in every destination)')
    .argument('<component>', 'component of the plan')
    .argument('<backupId>', 'the backup (lifeboat list shows ids)')
    .requiredOption('--reason <text>', 'why, for the people who will read it')
    .addHelpText('after', '\nExamples:\n  $ lifeboat pin database 20260214T020000Z-3f9a1c --reason "before the 2.0 schema migration"')
    .action(lazy(() => import('./commands/pin.js'), 'pinCommand'));
  program
    .command('unpin')
    .description('remove a pin; the next prune decides about the backup by the policy again')
    .argument('<component>', 'component of the plan')
    .argument('<backupId>', 'the backup')
    .action(lazy(() => import('./commands/pin.js'), 'unpinCommand'));
  program
    .command('unlock')
    .description("show the component's repository lock in each destination (who, since when, live or stale); with --yes remove it")
    .argument('<component>', 'component of the plan')
    .option('-y, --yes', 'remove the locks shown when they are stale')
    .option('--force', 'with --yes: remove a live lock too (only when its host is known to be dead)')
    .option('--json', 'print the locks as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ lifeboat unlock database                  who holds it, and until when\n  $ lifeboat unlock database --yes --force    the host db-2 died mid-backup: remove its lock now',
    )
    .action(lazy(() => import('./commands/unlock.js'), 'unlockCommand'));
  program
    .command('plan')
    .description('the plan itself')
    .command('check')
    .description('check that lifecycle rules agree with retention and legal holds (backup and prune check this too; exit 2 on a contradiction)')
    .option('--json', 'print problems and notes as JSON')
    .action(lazy(() => import('./commands/plan-check.js'), 'planCheckCommand'));

  // S3 buckets as code (issue 3): apply and check the plan's bucket settings, and print the IAM policy it needs.
  const s3 = program.command('s3').description("the plan's s3 buckets: versioning, lifecycle, replication, public access, encryption, object lock");
  s3.command('apply')
    .description("make each s3 destination's bucket, and each bucket a component relies on (a media bucket and its replica), match the plan (idempotent; rules that are not Lifeboat's are kept, retentions never shortened)")
    .argument('[names...]', 's3 destinations or components (type: s3-bucket) of the plan (default: all)')
    .option('--dry-run', 'print what would change; change nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat s3 apply --dry-run\n  $ lifeboat s3 apply s3\n  $ lifeboat s3 apply media --dry-run')
    .action(lazy(() => import('./commands/s3.js'), 's3ApplyCommand'));
  s3.command('check')
    .description("compare each s3 destination's bucket, and each bucket a component relies on, with the plan (exit 3 on drift)")
    .argument('[names...]', 's3 destinations or components (type: s3-bucket) of the plan (default: all)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat s3 check\n  $ lifeboat s3 check media --json')
    .action(lazy(() => import('./commands/s3.js'), 's3CheckCommand'));
  s3.command('policy')
    .description('print the least IAM policy the plan needs (backups, restores, and apart: s3 apply)')
    .argument('[destinations...]', 's3 destinations of the plan (default: all)')
    .addHelpText('after', '\nExamples:\n  $ lifeboat s3 policy > lifeboat-policy.json\n  $ aws iam put-role-policy --role-name lifeboat --policy-name lifeboat --policy-document file://lifeboat-policy.json')
    .action(lazy(() => import('./commands/s3.js'), 's3PolicyCommand'));

  const ec2 = program.command('ec2').description("the plan's ec2 components: the images and snapshots Lifeboat made");
  ec2
    .command('orphans')
    .description('list snapshots Lifeboat tagged whose image is gone (they cost money and restore nothing); deletes nothing')
    .option('--json', 'print them as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat ec2 orphans\n  $ lifeboat ec2 orphans --json | jq -r \'.[].delete\'   # the commands that would delete them')
    .action(lazy(() => import('./commands/ec2.js'), 'ec2OrphansCommand'));

  // PostgreSQL WAL archive (issue 13): archive_command and restore_command call these.
  const wal = program.command('wal').description("a postgres component's WAL archive, for point-in-time recovery (the component needs pitr:)");
  wal
    .command('push')
    .description('archive_command: store one WAL file in every destination of the component (exit 0 only once it is durably stored)')
    .argument('<component>', 'postgres component of the plan, with pitr:')
    .argument('<path>', "the file, as PostgreSQL's %p gives it (relative to the data directory)")
    .addHelpText(
      'after',
      "\nIn postgresql.conf:\n  archive_mode = on\n  wal_level = replica\n  archive_command = 'lifeboat --plan /etc/lifeboat/lifeboat.yaml wal push database %p'\n\nWith pitr: { async: { spool: /var/spool/lifeboat } } in the plan it exits 0 once the file is fsync'd in the local spool,\nand starts lifeboat wal pusher in the background when none runs; over the spool's maxSize it fails (PostgreSQL retries).",
    )
    .action(lazy(() => import('./commands/wal.js'), 'walPushCommand'));
  wal
    .command('pusher')
    .description("pitr.async: deliver the spooled WAL files to the component's destinations, several at once (wal push starts it; or run it from systemd)")
    .argument('<component>', 'postgres component of the plan, with pitr.async')
    .option('--idle-exit <duration>', 'exit after this long with nothing to deliver', duration, 60_000)
    .option('--forever', 'never exit when idle (a systemd service)')
    .option('--exit-if-running', 'exit 0 at once when another pusher already serves the spool (how wal push starts it)')
    .addHelpText(
      'after',
      '\nA file leaves the spool only once it is stored where require asks; one that fails stays, is logged and retried.\nOne pusher per spool (exit 75 when another runs).\n\nExamples:\n  $ lifeboat wal pusher database                   drain the spool now, exit after 60s idle\n  $ lifeboat wal pusher database --forever         ExecStart= of a systemd service',
    )
    .action(lazy(() => import('./commands/wal.js'), 'walPusherCommand'));
  wal
    .command('backlog')
    .description('pitr.async: what waits in the spool (files, bytes, oldest, last error, pusher); exit 3 while a file fails')
    .argument('<component>', 'postgres component of the plan, with pitr.async')
    .option('--json', 'print the backlog as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifeboat wal backlog database\n  $ lifeboat wal backlog database --json | jq .oldest.ageSeconds')
    .action(lazy(() => import('./commands/wal.js'), 'walBacklogCommand'));
  wal
    .command('get')
    .description('restore_command: write an archived WAL file to a path, checked against its sha256 (exit 1: not archived; 126: could not be read, recovery must stop)')
    .argument('<component>', 'postgres component of the plan, with pitr:')
    .argument('<file>', "the WAL file name (PostgreSQL's %f)")
    .argument('<path>', "where to write it (PostgreSQL's %p)")
    .addHelpText(
      'after',
      "\nIn postgresql.conf (recovery):\n  restore_command = 'lifeboat --plan /etc/lifeboat/lifeboat.yaml wal get database %f %p'\n\nWhen %p is in a data directory's pg_wal, it also starts lifeboat wal prefetch, which fetches the next pitr.prefetch\nsegments (default 8), verified, into pg_wal/.lifeboat-prefetch/; a later wal get takes its file from there\n(checked against its sha256 again) without reading a destination.",
    )
    .action(lazy(() => import('./commands/wal.js'), 'walGetCommand'));
  wal
    .command('prefetch')
    .description("restore_command's helper (wal get starts it): keep the next pitr.prefetch WAL segments verified in the data directory's prefetch folder")
    .argument('<component>', 'postgres component of the plan, with pitr:')
    .requiredOption('--data-dir <dir>', 'the data directory being recovered (its pg_wal holds .lifeboat-prefetch/)')
    .requiredOption('--timeline <hex>', 'the timeline to prefetch, 8 hex digits as in WAL file names')
    .addHelpText(
      'after',
      '\nIt stops, deleting its folder, when recovery has not asked for a file for 60 s, when the server of --data-dir\nstops, or when the folder is removed; one prefetcher per folder (another exits at once).\n\nExample:\n  $ lifeboat wal prefetch database --data-dir /var/lib/postgresql/15/main --timeline 00000001',
    )
    .action(lazy(() => import('./commands/wal.js'), 'walPrefetchCommand'));
  wal
    .command('verify')
    .description('list the archive per timeline: segments, missing segments between the first and last, history files (exit 3 on a gap)')
    .argument('<component>', 'postgres component of the plan, with pitr:')
    .option('--json', 'print the report as JSON')
    .action(lazy(() => import('./commands/wal.js'), 'walVerifyCommand'));
  wal
    .command('setup')
    .description("print the postgresql.conf lines that archive the component's WAL with this plan; --check compares the live server's settings (exit 3 naming each wrong one)")
    .argument('<component>', 'postgres component of the plan, with pitr:')
    .option('--check', "connect to the component's url and compare wal_level, archive_mode, archive_command, archive_timeout")
    .option('--json', 'print the lines (and the check) as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ lifeboat --plan /etc/lifeboat/lifeboat.yaml wal setup database >> /etc/postgresql/15/main/conf.d/lifeboat.conf\n  $ lifeboat wal setup database --check        after the restart: is the server archiving with this plan?',
    )
    .action(lazy(() => import('./commands/wal-setup.js'), 'walSetupCommand'));

  // Runs on its own (issue 15): the plan's schedules as systemd units.
  const systemd = program.command('systemd').description("the plan's schedules as systemd timers: backups, verify, drill, status, prune, and an alert when one fails");
  const unitFlags = (command: Command) =>
    command
      .option('--exec <path>', 'the installed lifeboat launcher the units run', DEFAULT_EXEC)
      .option('--env-file <file>', 'where the units read the variables the plan\'s env: references name (optional at run time)', DEFAULT_ENV_FILE);
  unitFlags(
    systemd
      .command('generate')
      .description('print the units (or write them to a folder); systemd is not touched')
      .option('--out <dir>', 'write the unit files to this folder instead of printing them'),
  )
    .addHelpText('after', '\nExamples:\n  $ lifeboat --plan /etc/lifeboat/lifeboat.yaml systemd generate\n  $ lifeboat systemd generate --out ./units && systemd-analyze verify ./units/*.timer')
    .action(lazy(() => import('./commands/systemd.js'), 'systemdGenerateCommand'));
  unitFlags(
    systemd
      .command('install')
      .description('write the units, daemon-reload, enable and start the timers, and show systemctl list-timers (exit 1 where systemd is not running)')
      .option('--dry-run', 'print the files; write and run nothing')
      .option('--unit-dir <dir>', 'where the units go', DEFAULT_UNIT_DIR),
  )
    .addHelpText('after', '\nExamples:\n  $ lifeboat --plan /etc/lifeboat/lifeboat.yaml systemd install --dry-run\n  $ sudo lifeboat --plan /etc/lifeboat/lifeboat.yaml systemd install\n  $ systemctl list-timers \'lifeboat-*\'')
    .action(lazy(() => import('./commands/systemd.js'), 'systemdInstallCommand'));
  systemd
    .command('uninstall')
    .description(`stop, disable and remove exactly the units install recorded (in ${DEFAULT_UNIT_DIR}/lifeboat-units.json)`)
    .option('--dry-run', 'say what would be removed; change nothing')
    .option('--unit-dir <dir>', 'where the units were installed', DEFAULT_UNIT_DIR)
    .addHelpText('after', '\nExamples:\n  $ sudo lifeboat systemd uninstall --dry-run\n  $ sudo lifeboat systemd uninstall')
    .action(lazy(() => import('./commands/systemd.js'), 'systemdUninstallCommand'));
  // The fleet on Kubernetes (issue 15): the same schedules as CronJobs.
  program
    .command('kubernetes')
    .description("the plan's schedules as Kubernetes objects: CronJobs, a Deployment per continuous daemon, the plan as a ConfigMap, and the runner image's Dockerfile")
    .command('generate')
    .description('print the objects as one YAML stream (or write them and the Dockerfile to a folder); nothing is applied')
    .option('--image <image>', 'the runner image the pods run (build it from the Dockerfile)', `lifeboat:${VERSION}`)
    .option('--namespace <ns>', 'metadata.namespace of every object (default: none, kubectl chooses)')
    .option('--out <dir>', 'write one file per object and the Dockerfile to this folder instead of printing')
    .addHelpText(
      'after',
      `\nSecrets are referenced, never copied: the variables the plan's env: references name come from the Secret lifeboat-env (one key each),\nthe files its file: references name from lifeboat-files (one key per file name), AWS credentials from lifeboat-aws (optional) or the\nservice account lifeboat. fs destinations need a PersistentVolumeClaim lifeboat-<destination>. on-change schedules are refused.\n\nExamples:\n  $ lifeboat --plan /etc/lifeboat/lifeboat.yaml kubernetes generate --image registry.example/lifeboat:0.1.0 | kubectl apply -n backups -f -\n  $ lifeboat kubernetes generate --namespace backups --out ./k8s && docker build --build-arg LIFEBOAT_TARBALL=lifeboat-0.1.0-abc.tar.gz -t lifeboat:0.1.0 ./k8s`,
    )
    .action(lazy(() => import('./commands/kubernetes.js'), 'kubernetesGenerateCommand'));
  program
    .command('notify')
    .description("send the plan's alert that a lifeboat systemd unit failed (OnFailure= of every generated unit runs this)")
    .requiredOption('--unit <name>', 'the unit that failed (systemd passes %i)')
    .addOption(new Option('--severity <sev>', 'how bad').choices(['sev1', 'sev2', 'sev3']).default('sev2'))
    .addHelpText('after', '\nExamples:\n  $ lifeboat notify --unit lifeboat-backup-database.service')
    .action(lazy(() => import('./commands/notify.js'), 'notifyCommand'));

  program
    .command('tui')
    .description('the terminal UI for the people on call: dashboard, live runs, backups, restore wizard, DR runbooks, history')
    .addHelpText('after', '\nExamples:\n  $ lifeboat tui\n  $ lifeboat --plan .lifeboat-demo/lifeboat.yaml tui     # after pnpm demo\n\nKeys: ? shows them all.')
    .action(lazy(() => import('./commands/tui.js'), 'tuiCommand'));

  program
    .command('demo')
    .description('the whole loop on throwaway local servers: PostgreSQL, Redis, a config folder and an S3-protocol server; encrypted backups from one read to a folder and S3, restores, drills, status and a dry-run prune; exit 0 only if every check passed')
    .option('--dir <dir>', 'where the demo repository goes', '.lifeboat-demo')
    .action(lazy(() => import('./commands/demo.js'), 'demoCommand'));

  documentedUsageErrors(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    io.stderr.write(`lifeboat: ${describeError(err)}\n`);
    return err instanceof LifeboatError ? err.exitCode : ExitCode.failed;
  }
}

/**
 * Commander says `error: …` and the usage hint on a second line; the docs
 * promise one line, `lifeboat: <sentence>`, naming the --help to read.
 * Set on every command after they are all defined, so each names its own.
 */
function documentedUsageErrors(command: Command): void {
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  command.configureOutput({
    outputError: (message, write) =>
      write(`lifeboat: ${message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()}; run ${path.join(' ')} --help for usage\n`),
  });
  for (const sub of command.commands) documentedUsageErrors(sub);
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`expected a duration such as 60s or 5m, got "${value}"`);
  return ms;
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw new InvalidArgumentError(`expected a percentage between 0 and 100, got "${value}"`);
  return n;
}
