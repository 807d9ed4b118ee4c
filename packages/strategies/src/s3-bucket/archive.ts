import { formatDuration, type ArchiveProblem, type KindArchive } from '@lifeboat/core';
import { mediaS3 } from './client.js';
import type { S3BucketConfig } from './config.js';
import type { MediaFacts } from './backup.js';
import { mediaFindings, mediaState, readMedia } from './state.js';

const NAME = 'bucket versions';

/** Replication of the newest objects, as their x-amz-replication-status says. */
export interface ReplicationHealth {
  sampled: number;
  completed: number;
  pending: number;
  failed: number;
  /** Age of the oldest PENDING sampled object (ms). */
  oldestPendingMs?: number;
}

/** Pure: what the sampled replication says against the RPO. */
export function replicationProblems(component: string, health: ReplicationHealth, rpoMs: number): ArchiveProblem[] {
  const problems: ArchiveProblem[] = [];
  if (health.failed > 0) problems.push({ health: 'critical', severity: 'sev2', reason: `${health.failed} of the ${health.sampled} newest objects of ${component} failed to replicate (ReplicationStatus FAILED)` });
  if (health.oldestPendingMs !== undefined && health.oldestPendingMs > rpoMs) {
    problems.push({ health: 'warning', severity: 'sev3', reason: `an object of ${component} has been PENDING replication for ${formatDuration(health.oldestPendingMs)}, longer than its RPO of ${formatDuration(rpoMs)}` });
  }
  return problems;
}

/**
 * The bucket's own versions, which the kind keeps outside backup runs:
 * status reads versioning, lifecycle and replication as found, and samples
 * replication on the newest objects the latest checkpoint named. Prune and
 * verify leave them to the bucket (its lifecycle expires noncurrent versions).
 */
export const mediaArchive: KindArchive<S3BucketConfig> = {
  name: NAME,
  applies: () => true,
  async status({ component, config, backups, now }) {
    const s3 = await mediaS3(config);
    try {
      const readings = await readMedia(s3, component, config);
      const state = mediaState(config, readings);
      const findings = mediaFindings(config, readings);
      const problems: ArchiveProblem[] = findings
        .filter((f) => f.level !== 'ok')
        .map((f) => ({ health: f.level === 'critical' ? 'critical' : 'warning', severity: f.level === 'critical' ? 'sev2' : 'sev3', reason: `${f.check}: ${f.detail}` }));
      const latest = backups.at(-1)?.facts as MediaFacts | undefined;
      const health: ReplicationHealth = { sampled: 0, completed: 0, pending: 0, failed: 0 };
      if (config.replication && latest?.newestVersions) {
        for (const v of latest.newestVersions) {
          const head = await s3.client.send(new s3.sdk.HeadObjectCommand({ Bucket: config.bucket, Key: v.key, VersionId: v.versionId })).catch(() => undefined);
          if (!head) continue;
          health.sampled++;
          if (head.ReplicationStatus === 'FAILED') health.failed++;
          else if (head.ReplicationStatus === 'PENDING') {
            health.pending++;
            const age = now.getTime() - Date.parse(v.lastModified);
            health.oldestPendingMs = Math.max(health.oldestPendingMs ?? 0, age);
          } else if (head.ReplicationStatus === 'COMPLETED') health.completed++;
        }
        problems.push(...replicationProblems(component, health, config.rpo));
      }
      const lines = [
        `versioning ${state.versioning}; noncurrent versions ${state.noncurrentDays === undefined ? 'never expire' : `expire after ${state.noncurrentDays} days`} (plan keeps ${config.versionRetention})`,
        ...(config.replication
          ? [`replication to ${state.replicatesTo?.join(', ') || 'nowhere'}: of the ${health.sampled} newest objects ${health.completed} replicated, ${health.pending} pending${health.oldestPendingMs !== undefined ? ` (oldest ${formatDuration(health.oldestPendingMs)})` : ''}, ${health.failed} failed`]
          : []),
      ];
      return {
        fields: { ...state, replicationHealth: health },
        lines,
        problems,
        metrics: [
          { name: 'lifeboat_media_versioning_enabled', help: 'The media bucket has versioning on (1) or not (0).', value: state.versioning === 'Enabled' ? 1 : 0 },
          { name: 'lifeboat_media_replication_failed', help: 'Sampled newest objects whose replication FAILED.', value: health.failed },
          { name: 'lifeboat_media_replication_pending', help: 'Sampled newest objects still PENDING replication.', value: health.pending },
        ],
      };
    } finally {
      s3.client.destroy();
    }
  },
  prune: async () => ({
    archive: NAME,
    summary: 'noncurrent versions are expired by the bucket\u2019s own lifecycle rule (versionRetention), not by prune',
    remove: { files: 0, bytes: 0 },
    keep: { files: 0, bytes: 0 },
    removed: 0,
  }),
  verify: async ({ repository }) => ({
    archive: NAME,
    destination: repository.description,
    files: 0,
    read: 0,
    problems: [],
    summary: 'the versions live in the bucket itself; the checkpoints are verified as backups',
  }),
};
