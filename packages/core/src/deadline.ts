/**
 * `work`, or a rejection once `ms` have passed without it settling: every wait
 * on something outside the process (a store, a socket) has a deadline. The
 * work itself is not stopped; callers abort it by their own means.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, message = `no answer within ${ms / 1000} s`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
