import { fstatSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * journald reads a `<N>` at the start of each line as its syslog priority
 * (sd-daemon(3)): failures at err, warnings at warning, the rest at info, so
 * `journalctl -p warning -u 'lifeboat-*'` shows what needs a look.
 */
export const PRIORITY = { err: 3, warning: 4, info: 6 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

/**
 * Whether file descriptor `fd` is the journal: systemd sets JOURNAL_STREAM to
 * `device:inode` of the stream it connected stdout/stderr to; a descriptor
 * redirected elsewhere (a pipe to jq inside a unit) does not match.
 */
export function isJournal(fd: number, journalStream: string | undefined): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  if (!m) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return stat.dev === BigInt(m[1]!) && stat.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/** stderr carries `lifeboat: warning: …` sentences and errors; everything else there is an error. */
export function stderrPriority(line: string): Priority {
  return line.startsWith('lifeboat: warning:') ? PRIORITY.warning : PRIORITY.err;
}

/** A stream that writes each line to `out` with its `<N>` prefix, in order and at once. */
export function prioritized(out: NodeJS.WritableStream, priorityOf: (line: string) => Priority): Writable {
  let atLineStart = true;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = chunk.toString();
      let result = '';
      for (const piece of text.split(/(?<=\n)/)) {
        result += atLineStart ? `<${priorityOf(piece)}>${piece}` : piece;
        atLineStart = piece.endsWith('\n');
      }
      out.write(result);
      callback();
    },
  });
}
