import { describeEvent, formatBytes, type RunEvent, type RunListener } from '@lifeboat/core';
import { PRIORITY, type Priority } from './journal.js';

export interface HumanOptions {
  out: NodeJS.WritableStream;
  /** On a terminal, progress rewrites one line; elsewhere it prints a line now and then. */
  isTTY: boolean;
  color: boolean;
  /** stdout is the journal: each line starts with its `<N>` priority. */
  journal?: boolean;
}

/** Readable lines for a person at a terminal, with a live progress line (bytes and rate). */
export function humanListener(opts: HumanOptions): RunListener {
  const paint = (code: string, text: string) => (opts.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const ok = paint('32', '✓');
  const bad = paint('31', '✗');
  // Checked and found nothing new (on-change schedules): neither a success to celebrate nor a failure.
  const same = paint('2', '=');
  let progressShown = false;
  let transferStart: { artifact: string; at: number } | undefined;
  const write = (line: string, priority: Priority = PRIORITY.info) => {
    if (progressShown && opts.isTTY) opts.out.write('\r\u001b[2K');
    progressShown = false;
    opts.out.write(opts.journal ? `<${priority}>${line}\n` : line + '\n');
  };
  return (event: RunEvent) => {
    switch (event.type) {
      case 'run.started':
      case 'run.finished':
        return;
      case 'component.started':
        return write(paint('1', `● ${event.operation} ${event.component}`));
      case 'progress': {
        if (!transferStart || transferStart.artifact !== event.artifact) transferStart = { artifact: event.artifact, at: Date.now() };
        const seconds = Math.max((Date.now() - transferStart.at) / 1000, 0.001);
        const line = `  ${event.artifact}  ${formatBytes(event.bytes)}  ${formatBytes(event.bytes / seconds)}/s`;
        if (opts.isTTY) {
          opts.out.write(`\r\u001b[2K${line}`);
          progressShown = true;
        }
        return;
      }
      case 'unchanged':
        return write(`  ${same} ${describeEvent(event)}`);
      case 'artifact.stored':
      case 'verified':
      case 'committed':
      case 'restored':
      case 'checked':
        write(`  ${event.type === 'checked' && event.checks.some((c) => !c.ok) ? bad : ok} ${describeEvent(event)}`);
        if (event.type === 'restored' || event.type === 'checked') {
          for (const check of event.checks) write(`    ${check.ok ? ok : bad} ${check.name}: ${check.actual}${check.ok ? '' : ` (backup had ${check.expected})`}`);
        }
        return;
      case 'warning':
        return write(`  ${paint('33', '!')} ${event.message}`, PRIORITY.warning);
      case 'failed':
        return write(`  ${bad} ${event.message}`, PRIORITY.err);
      case 'component.finished':
        return write(`${event.outcome === 'ok' ? ok : event.outcome === 'unchanged' ? same : bad} ${describeEvent(event)}`, event.outcome === 'failed' ? PRIORITY.err : PRIORITY.info);
      default:
        return write(`  ${describeEvent(event)}`);
    }
  };
}
