/**
 * Child processes behind the throwaway local servers: one-shot tools (initdb,
 * `--version`) and long-running servers whose recent output is kept so a failed
 * start can say why in one line. (process/child.ts runs pipeline tools; these
 * need a uid/gid switch and a watchdog that it does not have.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnOptions {
  cwd: string;
  /** The whole environment of the child; nothing is inherited. */
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

const TAIL_LINES = 40;

/** Keeps the last lines a child wrote to stdout and stderr. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  private add(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    this.onLine?.(trimmed);
    this.lines.push(trimmed);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }

  all(): string[] {
    return this.partial.trim() === '' ? [...this.lines] : [...this.lines, this.partial.trim()];
  }
}

/** Log-line prefixes that say nothing to a reader: PostgreSQL's time and pid, Redis's pid, role and time. */
const LOG_PREFIXES = [
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ \[\d+\] /,
  /^\d+:[A-Z] \d\d? \w{3} \d{4} \d\d:\d\d:\d\d(\.\d+)? [.\-*#] /,
];

/** The line most worth showing, without log prefixes: the last one that looks like an error, else the last one. */
export function telltaleLine(lines: readonly string[]): string {
  const errorish = /\b(error|fatal|failed|could not|cannot|invalid|denied|in use|panic)\b/i;
  const line = lines.findLast((l) => errorish.test(l)) ?? lines.at(-1);
  if (line === undefined) return 'no output';
  return LOG_PREFIXES.reduce((text, prefix) => text.replace(prefix, ''), line);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  output: string[];
}

/** Runs a tool to its end; never rejects for a non-zero exit (the caller decides). */
export function runToEnd(command: string, args: readonly string[], opts: SpawnOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
    const tail = new OutputTail();
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      tail.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, output: tail.all() }));
  });
}

export type WaitOutcome = 'ready' | 'exited' | 'timeout';

/**
 * Runs the server under a small shell that stops it when its stdin closes.
 * Node holds the other end of that pipe, so the server stops when `stop()`
 * closes it and also when Node dies in any way (a test worker killed, Ctrl-C,
 * SIGKILL); the shell then removes the server's folder. A server that exits on
 * its own (a port taken at start) leaves the folder for Node to retry in.
 * Arguments: folder, signal for a graceful stop, the server command and its args.
 * (fd 3 carries stdin to the watcher: sh gives background jobs /dev/null.)
 */
export const WATCHDOG = `
dir=$1; sig=$2; shift 2
exec 3<&0
"$@" </dev/null 3<&- &
server=$!
( while read -r _; do :; done <&3; : >"$dir/.stopping"; kill -s "$sig" "$server" 2>/dev/null ) &
exec 3<&-
watcher=$!
wait "$server"
code=$?
if [ -e "$dir/.stopping" ]; then PATH=/usr/bin:/bin rm -rf "$dir"; else kill "$watcher" 2>/dev/null; fi
exit "$code"
`;

export interface ServerSpawnOptions extends SpawnOptions {
  /** Removed once the server has exited, whoever stopped it. */
  dir: string;
  /** What ends the server gracefully: SIGINT is PostgreSQL's fast shutdown, SIGTERM Redis's. */
  stopSignal: NodeJS.Signals;
  /** Every line the server writes (a recovery's progress and outcome are in its log). */
  onLine?: (line: string) => void;
}

export class ServerProcess {
  private readonly child: ChildProcess;
  private readonly tail: OutputTail;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private hasExited = false;
  /** Resolves when the server has exited (or could not be started at all). */
  readonly exited: Promise<void>;

  constructor(command: string, args: readonly string[], opts: ServerSpawnOptions) {
    // sh's kill wants "INT", not "SIGINT".
    const signal = opts.stopSignal.replace(/^SIG/, '');
    this.tail = new OutputTail(opts.onLine);
    this.child = spawn('/bin/sh', ['-c', WATCHDOG, 'lifeboat-server', opts.dir, signal, command, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a last-resort SIGKILL reaches the shell and the server.
      detached: true,
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
    this.child.stdin?.on('error', () => {});
    this.child.stdout?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.tail.push(Buffer.from(`${err.message}\n`));
        this.markExited(null, null);
        resolve();
      });
      // 'close', not 'exit': the last lines of output (the reason for a failed start) are in by then.
      this.child.once('close', (code, signal) => {
        this.markExited(code, signal);
        resolve();
      });
    });
  }

  private markExited(code: number | null, signal: NodeJS.Signals | null): void {
    this.hasExited = true;
    this.exitCode = code;
    this.exitSignal = signal;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  output(): string[] {
    return this.tail.all();
  }

  /** It has exited with status 0 (a clean shutdown). */
  get exitedCleanly(): boolean {
    return this.hasExited && this.exitCode === 0 && this.exitSignal === null;
  }

  /** "exited with code 1" / "was killed by SIGKILL", for error sentences. */
  describeExit(): string {
    if (this.exitSignal !== null) return `was killed by ${this.exitSignal}`;
    return `exited with code ${this.exitCode ?? 'unknown'}`;
  }

  /** Polls `check` until it is true, the server exits, or time runs out. */
  async waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<WaitOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.hasExited) return 'exited';
      if (await check()) return 'ready';
      if (this.hasExited) return 'exited';
      if (Date.now() >= deadline) return 'timeout';
      await Promise.race([sleep(intervalMs), this.exited]);
    }
  }

  /**
   * A running server does not keep Node alive: a program that forgets `stop()`
   * still exits, and the watchdog then stops the server and removes its folder.
   */
  unref(): void {
    this.child.unref();
    for (const stream of this.streams()) stream.unref?.();
  }

  private streams(): { ref?: () => void; unref?: () => void }[] {
    return [this.child.stdin, this.child.stdout, this.child.stderr].filter((s) => s !== null) as {
      ref?: () => void;
      unref?: () => void;
    }[];
  }

  /** Asks the server to stop, waits up to `graceMs`, then kills it outright. */
  async stop(graceMs: number): Promise<void> {
    if (this.hasExited) return;
    // Keep Node alive until the server is gone and its output read, or `await stop()` never returns.
    this.child.ref();
    for (const stream of this.streams()) stream.ref?.();
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late' && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      await this.exited;
    }
  }
}
