import { totalmem } from 'node:os';
import { dataDirSetting } from '@lifeboat/ephemeral';

/** The most `pitr.recovery.sharedBuffers: auto` gives the recovery run. */
export const AUTO_RECOVERY_SHARED_BUFFERS_MAX = 1024 ** 3;

/** This host's memory as the process may use it: the cgroup's limit when there is one. */
export function hostMemory(): number {
  const limit = process.constrainedMemory?.();
  return limit && limit > 0 ? Math.min(totalmem(), limit) : totalmem();
}

/**
 * shared_buffers for the PostgreSQL that replays WAL, in bytes, or undefined
 * to leave the folder's own. Replay reads and changes pages at random; with
 * the 128 MB PostgreSQL ships, each page it touches again after 128 MB of
 * others is written out and read back. On pgbench scale 20 with 60 s of WAL
 * the replay itself took 3.3 s with 512 MB against 4.7 s (docs/benchmarks-pitr.md);
 * the end-of-recovery checkpoint then writes the pages kept in memory instead.
 * `auto`: a quarter of the host's memory, at most 1 GiB, and never below what
 * the folder's configuration already gives. A size: exactly that.
 */
export function recoverySharedBuffers(wanted: 'auto' | number, configuredBytes: number, memoryBytes: number): number | undefined {
  if (wanted !== 'auto') return wanted;
  const auto = Math.min(Math.floor(memoryBytes / 4), AUTO_RECOVERY_SHARED_BUFFERS_MAX);
  return auto > configuredBytes ? auto : undefined;
}

/** The folder's own shared_buffers in bytes, as PostgreSQL reads its configuration (`postgres -C`). */
export async function configuredSharedBuffers(opts: Parameters<typeof dataDirSetting>[0]): Promise<number> {
  const [blocks, blockSize] = await Promise.all([dataDirSetting(opts, 'shared_buffers'), dataDirSetting(opts, 'block_size')]);
  return Number(blocks) * Number(blockSize);
}
