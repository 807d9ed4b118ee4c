import { describe, expect, it } from 'vitest';
import { AUTO_RECOVERY_SHARED_BUFFERS_MAX, hostMemory, recoverySharedBuffers } from './recovery-memory.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('shared_buffers of the PostgreSQL that replays WAL', () => {
  it('auto: a quarter of the host memory, at most 1 GiB', () => {
    expect(recoverySharedBuffers('auto', 128 * MiB, 24 * GiB)).toBe(AUTO_RECOVERY_SHARED_BUFFERS_MAX);
    expect(AUTO_RECOVERY_SHARED_BUFFERS_MAX).toBe(GiB);
    expect(recoverySharedBuffers('auto', 128 * MiB, 2 * GiB)).toBe(512 * MiB);
    expect(recoverySharedBuffers('auto', 128 * MiB, 3 * GiB + 3)).toBe(768 * MiB);
  });

  it('auto never lowers what the folder already gives (a big server restores with its own)', () => {
    expect(recoverySharedBuffers('auto', 8 * GiB, 64 * GiB)).toBeUndefined();
    expect(recoverySharedBuffers('auto', GiB, 24 * GiB)).toBeUndefined();
    // A small host: a quarter of 256 MiB is below PostgreSQL's 128 MB.
    expect(recoverySharedBuffers('auto', 128 * MiB, 256 * MiB)).toBeUndefined();
  });

  it('a size from the plan is taken as it is, above or below the folder\'s own', () => {
    expect(recoverySharedBuffers(300 * MiB, 128 * MiB, 24 * GiB)).toBe(300 * MiB);
    expect(recoverySharedBuffers(64 * MiB, 8 * GiB, 24 * GiB)).toBe(64 * MiB);
  });

  it('host memory is a positive size no larger than the machine', async () => {
    const { totalmem } = await import('node:os');
    expect(hostMemory()).toBeGreaterThan(0);
    expect(hostMemory()).toBeLessThanOrEqual(totalmem());
  });
});
