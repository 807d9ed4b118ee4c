import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError, ReadBackUnavailableError, formatBytes, spawnSource, type BackupContext } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';
import { connect, type PgTarget } from './connection.js';
import { TarSniffer } from './tar-sniffer.js';
import { toolMajor, toolPath } from './tools.js';
import { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT, BASE_BACKUP_WATCH } from './artifact.js';

export { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT, BASE_BACKUP_WATCH };

/** What a restore to a point needs to pick a base backup and the WAL after it. */
export interface BaseBackupFacts {
  systemIdentifier: string;
  timeline: number;
  startLsn: string;
  stopLsn: string;
  checkpointLsn?: string;
  /** First and last WAL file the backup needs (from the archive: `-X none`). */
  startWalFile: string;
  stopWalFile: string;
  startTime: string;
  /** START TIME as backup_label writes it (in the server's log_timezone). */
  startTimeLabel: string;
  stopTime: string;
  serverVersion: string;
  serverVersionNum: number;
  walSegmentBytes: number;
  pgBasebackupMajor: number;
  artifact: string;
  manifestArtifact: string;
  /** Where the WAL archive of this cluster is, relative to each destination's root. */
  walArchive: string;
}

/**
 * pg_basebackup -D - -Ft -X none: the data directory as one tar on stdout
 * (PostgreSQL 15 puts backup_label and backup_manifest inside it), through
 * the one-read fan-out. `-X none` because the WAL comes from the archive: the
 * server does not report the backup complete until the WAL it needs has been
 * archived by `lifeboat wal push`, so a base backup is never stored without
 * the WAL that makes it consistent. (`-X fetch`/`stream` cannot write a tar to
 * stdout beside pg_wal.tar, and would hold the WAL twice.)
 */
export async function takeBaseBackup(ctx: BackupContext<PostgresConfig>, target: PgTarget, env: Record<string, string | undefined>): Promise<BaseBackupFacts> {
  const { config } = ctx;
  const client = await connect(target);
  let server: { sysid: string; version: string; num: string; segment: string };
  try {
    server = (
      await client.query<{ sysid: string; version: string; num: string; segment: string }>(
        `SELECT system_identifier::text AS sysid, current_setting('server_version') AS version, current_setting('server_version_num') AS num,
                (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment
           FROM pg_control_system()`,
      )
    ).rows[0]!;
  } finally {
    await client.end().catch(() => undefined);
  }
  const major = await toolMajor('pg_basebackup', config.binDir, env);
  const serverMajor = Math.floor(Number(server.num) / 10000);
  if (major < serverMajor) {
    throw new LifeboatError(`pg_basebackup ${major} is older than the PostgreSQL ${server.version} server; install the version ${serverMajor} client tools or set binDir to them`);
  }

  ctx.step(`pg_basebackup ${major} of ${target.display} (tar, WAL from the archive)`);
  const requestedAt = new Date().toISOString();
  const wanted = new Set(['backup_label', 'backup_manifest']);
  const sniffer = new TarSniffer(wanted);
  const args = ['-D', '-', '-Ft', '-X', 'none', '--checkpoint=fast', '--no-password', `--label=lifeboat ${ctx.component}`];
  const source = spawnSource(toolPath('pg_basebackup', config.binDir), args, { env, signal: ctx.signal });
  source.on('error', (err) => sniffer.destroy(err));
  const watchdog = archiverWatchdog(source, target, ctx.component, new Date());
  let stored;
  try {
    stored = await ctx.storeArtifact(BASE_BACKUP_ARTIFACT, source.pipe(sniffer), {
      format: 'pg_basebackup tar of the data directory (tar; pg_verifybackup with backup_manifest)',
      compress: true,
    });
  } finally {
    watchdog.stop();
  }
  const stopTime = new Date().toISOString();
  const label = sniffer.found.get('backup_label')?.toString('utf8');
  const manifest = sniffer.found.get('backup_manifest');
  if (!label) throw new LifeboatError(`pg_basebackup's tar holds no backup_label; it is not a base backup PostgreSQL can start from`);
  if (!manifest) throw new LifeboatError(`pg_basebackup's tar holds no backup_manifest (PostgreSQL 13 or later writes one)`);
  await ctx.storeArtifact(BACKUP_MANIFEST_ARTIFACT, Readable.from([manifest]), { format: 'PostgreSQL backup manifest (pg_verifybackup -m)', compress: false });

  const facts = baseBackupFacts(label, manifest, {
    systemIdentifier: server.sysid,
    serverVersion: server.version,
    serverVersionNum: Number(server.num),
    walSegmentBytes: Number(server.segment),
    stopTime,
    pgBasebackupMajor: major,
    walArchive: `wal/${ctx.component}/${server.sysid}/`,
    requestedAt,
  });

  ctx.step(`checking ${stored.name} as read back from the first destination`);
  try {
    const back = new TarSniffer(wanted);
    await pipeline(await ctx.readArtifact(BASE_BACKUP_ARTIFACT), back, new Writable({ write: (_c, _e, cb) => cb() }));
    if (!back.found.get('backup_label')?.equals(Buffer.from(label)) || !back.found.get('backup_manifest')?.equals(manifest)) {
      throw new LifeboatError(`${stored.name} as read back does not hold the backup_label and backup_manifest that were written`);
    }
    ctx.step(`${stored.name}: ${formatBytes(stored.bytes)}, backup_label and backup_manifest present, sha256 re-read ok`);
  } catch (err) {
    if (!(err instanceof ReadBackUnavailableError)) throw err;
    ctx.step(`${stored.name}: ${formatBytes(stored.bytes)}; not re-read (${err.message}); verify --deep checks it where the identity is`);
  }
  return facts;
}

/**
 * With `-X none`, pg_basebackup waits after the last data file until the
 * server has archived the backup's last WAL segment — for ever, if
 * archive_command keeps failing. While it sends nothing, ask
 * pg_stat_archiver: a failure since the backup began stops it with a
 * sentence; and it may not stay silent beyond a deadline.
 */
function archiverWatchdog(source: Readable, target: PgTarget, component: string, began: Date): { stop(): void } {
  let lastData = Date.now();
  source.on('data', () => {
    lastData = Date.now();
  });
  let asking = false;
  const fail = (message: string) => source.destroy(new LifeboatError(`${message}; nothing was committed`));
  const timer = setInterval(() => {
    const idle = Date.now() - lastData;
    if (idle < BASE_BACKUP_WATCH.askAfterMs || asking) return;
    if (idle >= BASE_BACKUP_WATCH.idleDeadlineMs) {
      fail(`pg_basebackup sent nothing for ${Math.round(idle / 60_000)} minutes (it waits for the server to archive the backup's last WAL segment); check pg_stat_archiver and lifeboat wal setup ${component} --check`);
      return;
    }
    asking = true;
    void (async () => {
      const client = await connect(target);
      try {
        const row = (
          await client.query<{ failed: string; wal: string | null; at: Date | null; archived: Date | null }>(
            'SELECT failed_count AS failed, last_failed_wal AS wal, last_failed_time AS at, last_archived_time AS archived FROM pg_stat_archiver',
          )
        ).rows[0];
        if (row?.at && row.at > began && (!row.archived || row.archived < row.at)) {
          fail(
            `pg_basebackup is waiting for the server to archive the backup's last WAL segment, and archive_command is failing (pg_stat_archiver: ${row.wal ?? 'a file'} failed at ${row.at.toISOString()}, ${row.failed} failure(s) in all); see the server's log and lifeboat wal setup ${component} --check`,
          );
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        asking = false;
      });
  }, Math.min(BASE_BACKUP_WATCH.askAfterMs, 5_000));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** backup_label: `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)`, `START TIME: 2026-12-04 06:43:21 UTC`, `START TIMELINE: 1`. */
export function baseBackupFacts(
  label: string,
  manifest: Buffer,
  known: Pick<BaseBackupFacts, 'systemIdentifier' | 'serverVersion' | 'serverVersionNum' | 'walSegmentBytes' | 'stopTime' | 'pgBasebackupMajor' | 'walArchive'> & {
    /** When pg_basebackup was started: the start time when backup_label's is in a zone JavaScript cannot read. */
    requestedAt: string;
  },
): BaseBackupFacts {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(label)?.[1]?.trim();
  const start = /^([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/i.exec(field('START WAL LOCATION') ?? '');
  const timeline = Number(field('START TIMELINE'));
  const startTime = field('START TIME');
  if (!start || !Number.isInteger(timeline) || !startTime) throw new LifeboatError(`backup_label does not say where the backup starts:\n${label}`);
  let ranges: Array<{ Timeline: number; 'Start-LSN': string; 'End-LSN': string }>;
  try {
    ranges = (JSON.parse(manifest.toString('utf8')) as { 'WAL-Ranges': typeof ranges })['WAL-Ranges'];
  } catch (err) {
    throw new LifeboatError(`backup_manifest is not the JSON PostgreSQL writes: ${(err as Error).message}`);
  }
  const last = ranges?.at(-1);
  if (!last) throw new LifeboatError('backup_manifest has no WAL-Ranges');
  const stopLsn = last['End-LSN'];
  const checkpoint = field('CHECKPOINT LOCATION');
  return {
    systemIdentifier: known.systemIdentifier,
    timeline,
    startLsn: start[1]!,
    stopLsn,
    ...(checkpoint ? { checkpointLsn: checkpoint } : {}),
    startWalFile: start[2]!,
    stopWalFile: walFileOf(last.Timeline, stopLsn, known.walSegmentBytes),
    startTime: isoTime(startTime) ?? known.requestedAt,
    startTimeLabel: startTime,
    stopTime: known.stopTime,
    serverVersion: known.serverVersion,
    serverVersionNum: known.serverVersionNum,
    walSegmentBytes: known.walSegmentBytes,
    pgBasebackupMajor: known.pgBasebackupMajor,
    artifact: BASE_BACKUP_ARTIFACT,
    manifestArtifact: BACKUP_MANIFEST_ARTIFACT,
    walArchive: known.walArchive,
  };
}

/** The WAL file holding the byte just before `lsn` (where a record ending at `lsn` lies). */
export function walFileOf(timeline: number, lsn: string, segmentBytes: number): string {
  const [hi, lo] = lsn.split('/').map((p) => BigInt(`0x${p}`));
  const position = (hi! << 32n) + lo! - 1n;
  const segment = position / BigInt(segmentBytes);
  const perLog = 0x1_0000_0000n / BigInt(segmentBytes);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');
  return hex(timeline) + hex(segment / perLog) + hex(segment % perLog);
}

/** `2026-12-04 06:43:21 UTC` (or `+00`, `-05`) → ISO; undefined for a zone name only the server knows. */
function isoTime(label: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/.exec(label);
  if (!m) return undefined;
  const zone = m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : m[3]!.length === 3 ? `${m[3]}:00` : m[3]!;
  const date = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
