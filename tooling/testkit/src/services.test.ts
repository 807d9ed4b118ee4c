import { describe, expect, test, vi } from 'vitest';
import type { ServiceMode } from './env.js';
import type { RuntimeAnswer } from './runtime.js';
import { startService } from './services.js';

const noRuntime: RuntimeAnswer = { ok: false, reason: 'Could not find a working container runtime strategy' };

function sources(mode: ServiceMode, runtime: RuntimeAnswer, over: { containers?: () => Promise<string>; local?: () => Promise<string> } = {}) {
  return {
    name: 'PostgreSQL',
    mode,
    runtime: vi.fn(async () => runtime),
    containers: vi.fn(over.containers ?? (async () => 'container')),
    local: vi.fn(over.local ?? (async () => 'local')),
    warn: vi.fn(),
  };
}

describe('startService', () => {
  test('uses a container when a runtime answers', async () => {
    const s = sources('auto', { ok: true });
    expect(await startService(s)).toBe('container');
    expect(s.local).not.toHaveBeenCalled();
  });

  test('uses local binaries when no runtime answers', async () => {
    const s = sources('auto', noRuntime);
    expect(await startService(s)).toBe('local');
    expect(s.containers).not.toHaveBeenCalled();
  });

  test('falls back to local binaries, and says so, when the container does not start', async () => {
    const s = sources('auto', { ok: true }, { containers: async () => Promise.reject(new Error('pull access denied')) });
    expect(await startService(s)).toBe('local');
    expect(s.warn).toHaveBeenCalledWith(
      'testkit: the PostgreSQL container did not start (pull access denied); using local binaries instead',
    );
  });

  test('with neither, fails loudly and says to run the bootstrap script', async () => {
    const s = sources('auto', noRuntime, {
      local: async () => Promise.reject(new Error('no PostgreSQL server binaries found (looked on PATH and in /usr/lib/postgresql/*/bin); run tooling/bootstrap.sh')),
    });
    await expect(startService(s)).rejects.toThrow(
      'could not start PostgreSQL for tests: no container runtime answered (Could not find a working container runtime strategy), and locally: no PostgreSQL server binaries found (looked on PATH and in /usr/lib/postgresql/*/bin); run tooling/bootstrap.sh',
    );
  });

  test('adds the bootstrap hint to any other local failure', async () => {
    const s = sources('auto', noRuntime, { local: async () => Promise.reject(new Error('initdb failed')) });
    await expect(startService(s)).rejects.toThrow(/initdb failed; run tooling\/bootstrap\.sh$/);
  });

  test('LIFEBOAT_TEST_SERVICES=local never asks for a container runtime', async () => {
    const s = sources('local', { ok: true });
    expect(await startService(s)).toBe('local');
    expect(s.runtime).not.toHaveBeenCalled();
  });

  test('LIFEBOAT_TEST_SERVICES=containers without a runtime fails instead of falling back', async () => {
    const s = sources('containers', noRuntime);
    await expect(startService(s)).rejects.toThrow(
      /^LIFEBOAT_TEST_SERVICES=containers, but no container runtime answered \(Could not find a working container runtime strategy\)/,
    );
    expect(s.local).not.toHaveBeenCalled();
  });
});
