import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The one module that reads process.env and the terminal. Everything else gets
 * these values handed in, so commands and tests never depend on globals.
 */
export interface Environment {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** `LIFEBOAT_PLAN` */
  planFromEnv?: string;
  lockDir: string;
  stdoutIsTTY: boolean;
  noColor: boolean;
  /** `LIFEBOAT_NOW` (ISO time): evaluate status as of then — for what-if checks and tests. */
  now?: Date;
  /** `LIFEBOAT_SPOOL_DIR`: where restores keep the copy they prove before changing anything (default: the temp folder). */
  spoolDir?: string;
  /** The terminal, for `lifeboat tui`; absent when stdout is not one. */
  terminal?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream };
}

/** The environment as a process with these variables, folder and terminal would see it. */
export function environmentOf(env: Record<string, string | undefined>, process: { cwd: string; uid: number; stdoutIsTTY: boolean }): Environment {
  const lockDir =
    env.LIFEBOAT_LOCK_DIR ?? (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'lifeboat') : join(tmpdir(), `lifeboat-locks-${process.uid}`));
  return {
    env,
    cwd: process.cwd,
    ...(env.LIFEBOAT_PLAN ? { planFromEnv: env.LIFEBOAT_PLAN } : {}),
    lockDir,
    stdoutIsTTY: process.stdoutIsTTY,
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
    ...(env.LIFEBOAT_NOW ? { now: new Date(env.LIFEBOAT_NOW) } : {}),
    ...(env.LIFEBOAT_SPOOL_DIR ? { spoolDir: env.LIFEBOAT_SPOOL_DIR } : {}),
  };
}

export function readEnvironment(): Environment {
  const environment = environmentOf(
    { ...process.env },
    { cwd: process.cwd(), uid: typeof process.getuid === 'function' ? process.getuid() : 0, stdoutIsTTY: process.stdout.isTTY === true },
  );
  return process.stdout.isTTY ? { ...environment, terminal: { stdin: process.stdin, stdout: process.stdout } } : environment;
}
