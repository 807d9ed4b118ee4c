import { pino } from 'pino';
import { describeEvent, type RunEvent, type RunListener } from '@lifeboat/core';
import { PRIORITY, type Priority } from './journal.js';

/**
 * JSON lines for journald and log shippers: one object per event, with a
 * readable `msg`. Written straight to stdout (synchronous for files and pipes
 * on Linux), so nothing is lost when the process ends right after a failure.
 */
export function jsonLogListener(out: NodeJS.WritableStream, opts: { journal?: boolean } = {}): RunListener {
  let priority: Priority = PRIORITY.info;
  // On the journal each line starts with its priority, which journald takes off; `journalctl -o cat` still shows JSON.
  const write = opts.journal ? (line: string) => out.write(`<${priority}>${line}`) : (line: string) => out.write(line);
  let runId: string | undefined;
  const logger = pino(
    {
      base: { app: 'lifeboat' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: events never carry secrets, but a future field might.
      redact: { paths: ['*.password', '*.PGPASSWORD', '*.secret', 'url'], censor: '***' },
    },
    { write },
  );
  return (event: RunEvent) => {
    const level = event.type === 'failed' ? 'error' : event.type === 'warning' ? 'warn' : 'info';
    priority = level === 'error' ? PRIORITY.err : level === 'warn' ? PRIORITY.warning : PRIORITY.info;
    if (event.type === 'run.started') runId = event.runId;
    const { type, ...fields } = event;
    // Every line of a run names it, so `journalctl … | jq 'select(.runId == …)'` finds all of it.
    logger[level]({ event: type, ...(runId ? { runId } : {}), ...fields }, describeEvent(event) ?? type);
    if (event.type === 'run.finished') runId = undefined;
  };
}
