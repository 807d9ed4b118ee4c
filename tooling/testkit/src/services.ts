/**
 * Where a test server comes from: a container when a runtime answers, local
 * binaries otherwise, or whichever LIFEBOAT_TEST_SERVICES forces. Having
 * neither is a loud failure that says what to do, never a skipped test.
 */
import type { ServiceMode } from './env.js';
import type { RuntimeAnswer } from './runtime.js';

export type Via = 'containers' | 'local';

export interface ServiceSources<T> {
  /** "PostgreSQL", "Redis": for messages. */
  name: string;
  mode: ServiceMode;
  runtime: () => Promise<RuntimeAnswer>;
  containers: () => Promise<T>;
  local: () => Promise<T>;
  /** Where a fallback from containers to local binaries is reported. */
  warn?: (message: string) => void;
}

const BOOTSTRAP_HINT = 'run tooling/bootstrap.sh';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startService<T>(s: ServiceSources<T>): Promise<T> {
  if (s.mode === 'local') return s.local();

  const runtime = await s.runtime();
  if (s.mode === 'containers') {
    if (!runtime.ok) {
      throw new Error(
        `LIFEBOAT_TEST_SERVICES=containers, but no container runtime answered (${runtime.reason}); start Docker or Podman, or unset it to use local binaries (${BOOTSTRAP_HINT} installs them)`,
      );
    }
    return s.containers();
  }

  if (runtime.ok) {
    try {
      return await s.containers();
    } catch (err) {
      // A runtime that answers but cannot pull or start the image (offline, say):
      // local binaries still give a real server.
      (s.warn ?? console.warn)(
        `testkit: the ${s.name} container did not start (${messageOf(err)}); using local binaries instead`,
      );
    }
  }
  try {
    return await s.local();
  } catch (err) {
    const why = runtime.ok ? 'its container did not start' : `no container runtime answered (${runtime.reason})`;
    const message = `could not start ${s.name} for tests: ${why}, and locally: ${messageOf(err)}`;
    throw new Error(message.includes(BOOTSTRAP_HINT) ? message : `${message}; ${BOOTSTRAP_HINT}`, { cause: err });
  }
}
