import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { LifeboatError } from '../errors.js';

export interface ChildOptions {
  /** The full environment of the child. Secrets go here, never into argv. */
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  signal?: AbortSignal;
  /** How to name the program in messages (defaults to the command's basename). */
  label?: string;
  /** Told each complete line the child writes to stderr (pg_restore --verbose says which item finished). */
  onStderrLine?: (line: string) => void;
  /** Run as this OS user (root only): `postgres` refuses to run as root. */
  owner?: { uid: number; gid: number };
}

/** The last lines a child wrote to stderr, for error sentences. */
class StderrTail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text = (this.text + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).slice(-4096);
  }
  /** The line that says what went wrong: the last one that reads like an error, else the last one. */
  lastLine(): string {
    const lines = this.text.split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.findLast((l) => /\b(error|fatal|panic)\b/i.test(l)) ?? lines.at(-1) ?? '';
  }
  all(): string {
    return this.text;
  }
}

function labelOf(command: string, opts: ChildOptions): string {
  return opts.label ?? command.split('/').at(-1) ?? command;
}

/** One sentence for a child that did not exit 0. */
export function exitSentence(label: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return stderr ? `${label} ${how}: ${stderr}` : `${label} ${how}`;
}

function start(command: string, args: string[], opts: ChildOptions, stdin: 'pipe' | 'ignore'): { child: ChildProcess; tail: StderrTail } {
  const child = spawn(command, args, {
    env: opts.env as NodeJS.ProcessEnv,
    cwd: opts.cwd,
    stdio: [stdin, 'pipe', 'pipe'],
    ...(opts.owner ?? {}),
  });
  const tail = new StderrTail();
  child.stderr!.on('data', (c: Buffer | string) => tail.push(c));
  if (opts.onStderrLine) {
    const onLine = opts.onStderrLine;
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    });
    child.stderr!.once('end', () => {
      if (partial) onLine(partial);
    });
  }
  if (opts.signal) {
    const kill = () => child.kill('SIGTERM');
    if (opts.signal.aborted) kill();
    opts.signal.addEventListener('abort', kill, { once: true });
    child.once('close', () => opts.signal!.removeEventListener('abort', kill));
  }
  return { child, tail };
}

function whenClosed(child: ChildProcess, tail: StderrTail, label: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new LifeboatError(
          err.code === 'ENOENT' ? `${label} was not found (looked for ${command}); install it or set binDir in the plan` : `${label} could not start: ${err.message}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new LifeboatError(exitSentence(label, code, signal, tail.lastLine())));
    });
  });
}

/** Runs a command to completion and returns its stdout. Rejects with a sentence on a non-zero exit. */
export async function runCommand(
  command: string,
  args: string[],
  opts: ChildOptions & { input?: Readable },
): Promise<{ stdout: string; stderr: string }> {
  const label = labelOf(command, opts);
  const { child, tail } = start(command, args, opts, opts.input ? 'pipe' : 'ignore');
  const out: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  if (opts.input) {
    child.stdin!.on('error', () => {
      // The child may exit before reading everything (pg_restore --list reads the TOC only).
    });
    opts.input.on('error', () => child.kill('SIGTERM'));
    opts.input.pipe(child.stdin!);
  }
  await whenClosed(child, tail, label, command);
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: tail.all() };
}

/**
 * Spawns a producer (pg_dump, tar) and returns its stdout as a stream that ends
 * only once the process has exited 0. A non-zero exit or a kill becomes a
 * stream error, so a truncated dump can never look like a complete one.
 * Destroying the stream terminates the child.
 */
export function spawnSource(command: string, args: string[], opts: ChildOptions): Readable {
  const label = labelOf(command, opts);
  const { child, tail } = start(command, args, opts, 'ignore');
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  child.stdout!.pipe(out, { end: false });
  let stdoutEnded = false;
  let exit: Promise<void> | undefined = whenClosed(child, tail, label, command);
  const settle = () => {
    if (!stdoutEnded || !exit) return;
    const pending = exit;
    exit = undefined;
    pending.then(
      () => out.end(),
      (err: unknown) => out.destroy(err as Error),
    );
  };
  child.stdout!.once('end', () => {
    stdoutEnded = true;
    settle();
  });
  // A spawn failure never opens stdout.
  exit.catch((err: unknown) => {
    if (!stdoutEnded) out.destroy(err as Error);
  });
  out.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return out;
}

/**
 * Spawns a consumer (psql, pg_restore) and returns its stdin and a promise of
 * its clean exit. The caller decides when to end stdin: holding it open until
 * the input is verified keeps a single-transaction restore uncommitted.
 */
export function spawnSink(
  command: string,
  args: string[],
  opts: ChildOptions,
): { stdin: NodeJS.WritableStream; done: Promise<{ stdout: string }>; kill: () => void } {
  const label = labelOf(command, opts);
  const { child, tail } = start(command, args, opts, 'pipe');
  const out: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stdin!.on('error', () => {
    // EPIPE when the child dies early; its exit status carries the reason.
  });
  const done = whenClosed(child, tail, label, command).then(() => ({ stdout: Buffer.concat(out).toString('utf8') }));
  return { stdin: child.stdin!, done, kill: () => child.kill('SIGTERM') };
}
