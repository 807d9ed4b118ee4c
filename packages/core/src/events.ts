/**
 * Every long operation reports typed events. The headless runner prints them
 * as JSON lines or readable lines; the TUI draws them. Both are views of the
 * same stream, so anything a person can see comes from here.
 */
export type Operation = 'backup' | 'restore' | 'verify' | 'drill' | 'prune' | 'runbook' | 'pin' | 'unpin' | 'unlock';

export interface StoredArtifact {
  name: string;
  /** Bytes as stored (after compression/encryption). */
  bytes: number;
  /** sha256 of the stored bytes, hex. */
  sha256: string;
  /** `gzip` when the pipeline compressed the stream; `none` otherwise. */
  compression: 'gzip' | 'none';
  /** `age` when the pipeline encrypted it (after compressing); absent or `none` otherwise. */
  encryption?: 'age' | 'none';
  /** What the content is, so a person knows which stock tool reads it. */
  format: string;
}

export interface RestoreCheck {
  name: string;
  expected: string | number;
  actual: string | number;
  ok: boolean;
}

export type RunEvent =
  | { type: 'run.started'; runId: string; operation: Operation; components: string[]; at: string }
  | { type: 'component.started'; component: string; operation: Operation; at: string }
  | { type: 'step'; component: string; message: string }
  | {
      type: 'progress';
      component: string;
      artifact: string;
      /** Bytes of the stored stream so far. */
      bytes: number;
      total?: number;
      /** Per-destination bytes written, by destination name. */
      destinations?: Record<string, number>;
    }
  | { type: 'artifact.stored'; component: string; artifact: StoredArtifact; destinations: string[] }
  | { type: 'verified'; component: string; check: string; detail?: string }
  | { type: 'warning'; component?: string; message: string }
  | { type: 'committed'; component: string; backupId: string; destinations: string[]; bytes: number }
  | { type: 'unchanged'; component: string; reason: string; previousId?: string }
  | { type: 'restored'; component: string; backupId: string; target: string; checks: RestoreCheck[] }
  /** Checks of the live target once the plan's afterRestore hooks have run (e.g. the Redis they started holds the backup's keys). */
  | { type: 'checked'; component: string; backupId: string; target: string; checks: RestoreCheck[] }
  /** A prune decision for one backup folder in one destination, with every reason (`decision: 'debris'` for a folder without manifest). */
  | { type: 'retention'; component: string; destination: string; backupId: string; decision: 'keep' | 'delete' | 'debris'; reasons: string[]; dryRun: boolean }
  | { type: 'failed'; component?: string; message: string; exitCode: number }
  | { type: 'component.finished'; component: string; outcome: 'ok' | 'unchanged' | 'failed'; durationMs: number }
  | { type: 'run.finished'; runId: string; outcome: 'ok' | 'failed'; durationMs: number; exitCode: number };

export type RunListener = (event: RunEvent) => void;

/** Fans events out to several listeners; a listener that throws never breaks the run. */
export function combineListeners(...listeners: Array<RunListener | undefined>): RunListener {
  const live = listeners.filter((l): l is RunListener => l !== undefined);
  return (event) => {
    for (const listener of live) {
      try {
        listener(event);
      } catch {
        // A broken view must not fail a backup.
      }
    }
  };
}
