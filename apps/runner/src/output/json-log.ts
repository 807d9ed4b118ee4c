import { pino } from 'pino';
import { describeEvent, type RunEvent, type RunListener } from '@lifeboat/core';

/**
 * JSON lines for journald and log shippers: one object per event, with a
 * readable `msg`. Written straight to stdout (synchronous for files and pipes
 * on Linux), so nothing is lost when the process ends right after a failure.
 */
export function jsonLogListener(out: NodeJS.WritableStream): RunListener {
  const logger = pino(
    {
      base: { app: 'lifeboat' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: events never carry secrets, but a future field might.
      redact: { paths: ['*.password', '*.PGPASSWORD', '*.secret', 'url'], censor: '***' },
    },
    { write: (line: string) => out.write(line) },
  );
  return (event: RunEvent) => {
    const level = event.type === 'failed' ? 'error' : event.type === 'warning' ? 'warn' : 'info';
    const { type, ...fields } = event;
    logger[level]({ event: type, ...fields }, describeEvent(event) ?? type);
  };
}
