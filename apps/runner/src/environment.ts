import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJournal } from './output/journal.js';

/**
 * The one module that reads process.env and the terminal. Everything else gets
 * these values handed in, so commands and tests never depend on globals.
 */
export interface Environment {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** `LIFEBOAT_PLAN` */
  planFromEnv?: string;
  /** Where the plan is looked for when neither --plan nor LIFEBOAT_PLAN names one and the working folder has none. */
  systemPlan: string;
  lockDir: string;
  stdoutIsTTY: boolean;
  /** Which of stdout and stderr systemd connected to the journal (JOURNAL_STREAM): their lines then carry `<N>` priorities. */
  journal: { stdout: boolean; stderr: boolean };
  noColor: boolean;
  /** `LIFEBOAT_NOW` (ISO time): evaluate status as of then — for what-if checks and tests. */
  now?: Date;
  /** `LIFEBOAT_SPOOL_DIR`: where restores keep the copy they prove before changing anything (default: the temp folder). */
  spoolDir?: string;
  /** A variable set to something unusable, as one sentence: every command refuses to run (exit 2). */
  invalid?: string;
  /**
   * How to run this Lifeboat again (node and its bin.js): for a server a restore
   * starts that calls it back (restore_command: `… wal get`), and for the WAL
   * pusher `wal push` starts in the background.
   */
  selfCommand?: readonly string[];
  /** The terminal, for `lifeboat tui`; absent when stdout is not one. */
  terminal?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream };
}

/** The host's own places, injectable so tests never touch the real /etc or /run. */
export interface SystemPaths {
  /** The plan a server keeps (`/etc/lifeboat/lifeboat.yaml`). */
  plan: string;
  /** The state folder systemd's `RuntimeDirectory=lifeboat` makes (`/run/lifeboat`), used when it exists. */
  runDir: string;
}

export const SYSTEM_PATHS: SystemPaths = { plan: '/etc/lifeboat/lifeboat.yaml', runDir: '/run/lifeboat' };

/**
 * Host locks: `LIFEBOAT_LOCK_DIR`; else the unit's `$RUNTIME_DIRECTORY`;
 * else `/run/lifeboat` when it exists and this user may write there, so a run
 * by hand and a timer's run see each other's locks (and `PrivateTmp=` units
 * do not each get their own /tmp); else `$XDG_RUNTIME_DIR/lifeboat`; else
 * the temp folder.
 */
function lockDirOf(env: Record<string, string | undefined>, uid: number, system: SystemPaths): string {
  if (env.LIFEBOAT_LOCK_DIR) return env.LIFEBOAT_LOCK_DIR;
  // systemd sets one path per RuntimeDirectory= entry, separated by colons.
  const runtime = env.RUNTIME_DIRECTORY?.split(':')[0];
  if (runtime) return runtime;
  if (writableDir(system.runDir)) return system.runDir;
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'lifeboat') : join(tmpdir(), `lifeboat-locks-${uid}`);
}

function writableDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The environment as a process with these variables, folder and terminal would see it. */
export function environmentOf(
  env: Record<string, string | undefined>,
  process: { cwd: string; uid: number; stdoutIsTTY: boolean; journal?: { stdout: boolean; stderr: boolean }; selfCommand?: readonly string[] },
  system: SystemPaths = SYSTEM_PATHS,
): Environment {
  const lockDir = lockDirOf(env, process.uid, system);
  const now = env.LIFEBOAT_NOW ? parseNow(env.LIFEBOAT_NOW) : undefined;
  return {
    env,
    cwd: process.cwd,
    ...(env.LIFEBOAT_PLAN ? { planFromEnv: env.LIFEBOAT_PLAN } : {}),
    systemPlan: system.plan,
    lockDir,
    stdoutIsTTY: process.stdoutIsTTY,
    journal: process.journal ?? { stdout: false, stderr: false },
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
    ...(now instanceof Date ? { now } : {}),
    ...(typeof now === 'string' ? { invalid: now } : {}),
    ...(env.LIFEBOAT_SPOOL_DIR ? { spoolDir: env.LIFEBOAT_SPOOL_DIR } : {}),
    ...(process.selfCommand ? { selfCommand: process.selfCommand } : {}),
  };
}

export function readEnvironment(): Environment {
  const environment = environmentOf(
    { ...process.env },
    {
      cwd: process.cwd(),
      uid: typeof process.getuid === 'function' ? process.getuid() : 0,
      stdoutIsTTY: process.stdout.isTTY === true,
      journal: { stdout: isJournal(1, process.env.JOURNAL_STREAM), stderr: isJournal(2, process.env.JOURNAL_STREAM) },
      ...(process.argv[1] ? { selfCommand: [process.execPath, realpathSync(process.argv[1])] } : {}),
    },
  );
  return process.stdout.isTTY ? { ...environment, terminal: { stdin: process.stdin, stdout: process.stdout } } : environment;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * `LIFEBOAT_NOW` as a Date, or the sentence refusing it. Only ISO 8601: a
 * date (UTC midnight) or a time with `Z` or an offset, since a time without a
 * zone means a different instant on each host; and only real calendar times
 * (`new Date` turns 2026-02-30 into March 2nd).
 */
function parseNow(value: string): Date | string {
  const m = ISO_TIME.exec(value.trim());
  const at = new Date(value.trim());
  if (m && !Number.isNaN(at.getTime()) && isCalendarTime(m.slice(1, 7).map((part) => Number(part ?? 0)))) return at;
  return `LIFEBOAT_NOW is ${JSON.stringify(value)}, which is not a time; expected ISO 8601 such as 2026-02-14T02:00:00Z (or a date, 2026-02-14), or unset it to use the clock`;
}

function isCalendarTime([year, month, day, hour, minute, second]: number[]): boolean {
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && hour! < 24 && minute! < 60 && second! < 60;
}
