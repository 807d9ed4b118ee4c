import { LifeboatError, describeError } from '@lifeboat/core';

/**
 * One sentence for a file system error met while reading the source, naming
 * the path. Used by the walk, the hashing and the archiver alike, so a user
 * sees the same words whichever of them hit the problem first.
 */
export function readError(err: unknown, path: string): LifeboatError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new LifeboatError(`cannot read ${path}: permission denied; run the backup as a user that can read it, or exclude it`, undefined, { cause: err });
    case 'ENOENT':
    case 'ENOTDIR':
      return new LifeboatError(`${path} disappeared while it was being backed up; run the backup again (or stop what removes it with hooks.beforeBackup)`, undefined, {
        cause: err,
      });
    case 'ELOOP':
      return new LifeboatError(`cannot read ${path}: too many levels of symbolic links`, undefined, { cause: err });
    case 'EOF':
      return new LifeboatError(`${path} shrank while it was being archived; nothing was stored — run the backup again, or stop what writes to it with hooks.beforeBackup`, undefined, {
        cause: err,
      });
    default: {
      return new LifeboatError(`cannot read ${path}: ${describeError(err)}`, undefined, { cause: err });
    }
  }
}
