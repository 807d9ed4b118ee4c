import { formatBytes } from './bytes.js';
import type { RunEvent } from './events.js';

/** One readable sentence per event (undefined for events that are only data): the runner's lines and the TUI's log tail alike. */
export function describeEvent(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `${event.operation} of ${event.components.join(', ')} started`;
    case 'component.started':
      return `${event.operation} ${event.component}`;
    case 'step':
      return event.message;
    case 'progress':
      return `${event.artifact}: ${formatBytes(event.bytes)}`;
    case 'artifact.stored':
      return `stored ${event.artifact.name} (${formatBytes(event.artifact.bytes)}, sha256 ${event.artifact.sha256.slice(0, 12)}) in ${event.destinations.join(', ')}`;
    case 'verified':
      return `verified ${event.check}${event.detail ? `: ${event.detail}` : ''}`;
    case 'warning':
      return `warning: ${event.message}`;
    case 'committed':
      return `committed backup ${event.backupId} (${formatBytes(event.bytes)}) to ${event.destinations.join(', ')}`;
    case 'unchanged':
      return `${event.component} unchanged since backup ${event.previousId ?? '(none)'}: ${event.reason}; no new backup needed`;
    case 'restored':
      return `restored backup ${event.backupId} into ${event.target}`;
    case 'checked':
      return `checked ${event.target} against backup ${event.backupId}`;
    case 'retention': {
      const verb = { keep: 'keep', delete: event.dryRun ? 'would delete' : 'delete', debris: event.dryRun ? 'would remove debris' : 'remove debris' }[event.decision];
      return `${verb.padEnd(6)} ${event.backupId} in ${event.destination}: ${event.reasons.join('; ')}`;
    }
    case 'failed':
      return event.message;
    case 'component.finished':
      return `${event.component} ${event.outcome} in ${(event.durationMs / 1000).toFixed(1)}s`;
    case 'run.finished':
      return `finished: ${event.outcome} (exit ${event.exitCode}) in ${(event.durationMs / 1000).toFixed(1)}s`;
  }
}
