/**
 * The signals that end a session, in one table: Ctrl-C (INT), a service
 * manager's stop (TERM) and a dropped SSH session or closed terminal (HUP)
 * all cancel the run the same way — the engine then removes its temp files
 * and partial objects and releases the host and repository locks. A second
 * one leaves at once with the shell's 128 + signal number, cleaning nothing.
 */
export const CANCELLING_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const satisfies Partial<Record<NodeJS.Signals, number>>;

type CancellingSignal = keyof typeof CANCELLING_SIGNALS;

/** Routes the cancelling signals to `controller`; returns what removes the handlers again. */
export function cancelOnSignals(controller: AbortController, stderr: NodeJS.WritableStream, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onSignal = (signal: CancellingSignal) => {
    if (controller.signal.aborted) return exit(CANCELLING_SIGNALS[signal]);
    stderr.write(`lifeboat: ${signal} received; cancelling and cleaning up (again to quit now)\n`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  const names = Object.keys(CANCELLING_SIGNALS) as CancellingSignal[];
  for (const name of names) process.on(name, onSignal);
  return () => {
    for (const name of names) process.off(name, onSignal);
  };
}
