// What the benchmarks share: progress lines, peak-memory probes, and the way figures are printed.
import { readFileSync } from 'node:fs';

export const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** Peak RSS (VmHWM, KiB) of a live process, or undefined once it is gone. */
export function vmHwmKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The first child of a process (the command under /usr/bin/time). */
export function firstChild(pid) {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
export const kibToMiB = (kib) => (kib / 1024).toFixed(1);
export const secs = (s) => s.toFixed(2);
export const yes = (ok) => (ok ? 'yes' : '**no**');
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
