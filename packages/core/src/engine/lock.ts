import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LifeboatError, LockHeldError } from '../errors.js';

export interface HostLock {
  path: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  operation: string;
  startedAt: string;
}

/**
 * A host-level lock per plan and component: a file created with O_EXCL that
 * names the holder. A lock whose process is gone is stale and taken over, so a
 * crash never blocks the next timer run. Released on exit even if the run
 * forgets.
 */
export function acquireLock(dir: string, name: string, operation: string): HostLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
  const info: LockInfo = { pid: process.pid, host: hostname(), operation, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(info) + '\n', { flag: 'wx', mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { path, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LifeboatError(`cannot create lock file ${path}: ${(err as Error).message}`);
      }
      const holder = readHolder(path);
      if (holder && isAlive(holder.pid)) {
        throw new LockHeldError(
          `another lifeboat run (pid ${holder.pid}, ${holder.operation} started ${holder.startedAt}) holds the lock for ${name}; try again when it finishes`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new LockHeldError(`could not take the lock for ${name} at ${path}; another run keeps taking it`);
}

function readHolder(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    // Half-written or unreadable: treat as stale, like a lock whose process is gone.
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
