/**
 * Samples the process's resident memory while something runs, to prove a
 * transfer streams instead of buffering. Sampling (not one reading at the end)
 * catches a peak that garbage collection would hide afterwards.
 */
export function watchRss(everyMs = 20): { stop(): number } {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, everyMs);
  return {
    /** Stops sampling; returns the peak growth over the baseline, in bytes. */
    stop() {
      clearInterval(timer);
      sample();
      return peak - baseline;
    },
  };
}
