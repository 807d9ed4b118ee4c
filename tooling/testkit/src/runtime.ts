/**
 * Does a container runtime answer? testcontainers is imported only here and
 * only when the question is asked, so runs without one pay nothing at load.
 */
export type RuntimeAnswer = { ok: true } | { ok: false; reason: string };

export const RUNTIME_TIMEOUT_MS = 2_000;

let answer: Promise<RuntimeAnswer> | undefined;

async function ask(timeoutMs: number): Promise<RuntimeAnswer> {
  let getContainerRuntimeClient: () => Promise<unknown>;
  try {
    ({ getContainerRuntimeClient } = await import('testcontainers'));
  } catch (err) {
    return { ok: false, reason: `testcontainers could not be loaded: ${err instanceof Error ? err.message : String(err)}` };
  }
  const probe = getContainerRuntimeClient().then(
    (): RuntimeAnswer => ({ ok: true }),
    (err: unknown): RuntimeAnswer => ({ ok: false, reason: err instanceof Error ? err.message : String(err) }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<RuntimeAnswer>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  try {
    return await Promise.race([probe, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asked once per process; the answer is shared by every server the process starts. */
export function containerRuntimeAnswers(timeoutMs = RUNTIME_TIMEOUT_MS): Promise<RuntimeAnswer> {
  answer ??= ask(timeoutMs);
  return answer;
}
