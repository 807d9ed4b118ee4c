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
}

export function readEnvironment(): Environment {
  const env = { ...process.env };
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const lockDir =
    env.LIFEBOAT_LOCK_DIR ?? (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'lifeboat') : join(tmpdir(), `lifeboat-locks-${uid}`));
  return {
    env,
    cwd: process.cwd(),
    planFromEnv: env.LIFEBOAT_PLAN,
    lockDir,
    stdoutIsTTY: process.stdout.isTTY === true,
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '',
  };
}
