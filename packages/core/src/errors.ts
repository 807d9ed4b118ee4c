/**
 * Exit codes are one table (ARCHITECTURE §6). Typed errors carry their code and
 * a one-sentence message meant for the person reading the terminal; the runner
 * maps them to `process.exitCode` in one place.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unhealthy: 3,
  locked: 75,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of a run over several components: a failure outranks a held lock, which outranks success. */
export function worstExit(codes: number[]): number {
  const failure = codes.find((c) => c !== ExitCode.ok && c !== ExitCode.locked);
  if (failure !== undefined) return failure;
  return codes.includes(ExitCode.locked) ? ExitCode.locked : ExitCode.ok;
}

export class LifeboatError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = ExitCode.failed, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** The plan or the command line is wrong; nothing was changed. Exit 2. */
export class UsageError extends LifeboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
  }
}

/** A plan file failed to load or validate. Exit 2. `problems` holds every sentence. */
export class PlanError extends UsageError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the plan:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

/** Another run holds the lock for this component. Exit 75 (EX_TEMPFAIL). */
export class LockHeldError extends LifeboatError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

/**
 * An encrypted artifact cannot be read back on this host because no age
 * identity is configured (hosts that only back up need only the recipients).
 * Strategies skip their read-back structure check on it and say so.
 */
export class ReadBackUnavailableError extends LifeboatError {
  constructor(artifact: string) {
    super(`${artifact} is encrypted and this host has no encryption.identity to read it back`);
  }
}

/**
 * One copy of an artifact cannot be used (damaged, missing, unreadable).
 * Another destination's copy may still be fine: restores try the next one.
 */
export class CopyUnusableError extends LifeboatError {}

/** A storage key that does not exist. */
export class NotFoundError extends LifeboatError {
  constructor(readonly key: string, where: string) {
    super(`${key} does not exist in ${where}`);
  }
}

/** The message of anything thrown, as one line, for people. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
