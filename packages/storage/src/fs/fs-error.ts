import { LifeboatError } from '@lifeboat/core';

/** A Node.js system error (`EACCES`, `ENOSPC`…) as thrown by `node:fs`. */
export function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * Turns a system error into one sentence for the person at the terminal, e.g.
 * `cannot write fs:/x/y/key: no space left on device (ENOSPC)`. Node's own
 * message (`ENOSPC: no space left on device, write`) names neither the
 * destination nor the key, so we keep only its description and code.
 */
export function fsFailure(action: 'read' | 'write' | 'list' | 'delete', target: string, err: unknown): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const code = errnoCode(err);
  const message = err instanceof Error ? err.message : String(err);
  // libuv messages are `CODE: description, syscall 'path'`.
  const description = code === undefined ? message : (/^[A-Z0-9_]+: ([^,]+)/.exec(message)?.[1] ?? message);
  const suffix = code === undefined ? '' : ` (${code})`;
  return new LifeboatError(`cannot ${action} ${target}: ${description}${suffix}`, undefined, { cause: err });
}
