import { RestoreObjectCommand, type RestoreRequest, type S3Client } from '@aws-sdk/client-s3';
import { CopyUnusableError } from '@lifeboat/core';
import { s3ErrorCode, s3Explanation } from './s3-error.js';

/**
 * Reading an object that a lifecycle rule moved to GLACIER or DEEP_ARCHIVE
 * (or Intelligent-Tiering's archive tiers) fails with InvalidObjectState until
 * S3 restores a temporary copy, which takes hours. So the read asks for that
 * restore and fails with a CopyUnusableError: a restore then uses another
 * destination's copy if it has one, and the message says when this one thaws.
 */

/**
 * The copy is in an archive tier: unusable for hours, not damaged. Its name
 * (`ArchivedCopyError`) lets a reader that checks copies (verify) tell the two apart.
 */
export class ArchivedCopyError extends CopyUnusableError {}

/** How long a restored copy stays readable. */
export const THAW_DAYS = 7;

/** S3's expected time for a Standard-tier restore, by storage class or Intelligent-Tiering access tier. */
const STANDARD_RESTORE_TIME: Record<string, string> = {
  GLACIER: '3–5 hours',
  DEEP_ARCHIVE: 'up to 12 hours',
  ARCHIVE_ACCESS: '3–5 hours',
  DEEP_ARCHIVE_ACCESS: 'up to 12 hours',
};

export function isArchivedError(err: unknown): boolean {
  return s3ErrorCode(err) === 'InvalidObjectState';
}

/**
 * Asks S3 to restore an archived object (Standard tier, readable for
 * THAW_DAYS) and returns the error to throw, which says what happened.
 */
export async function thawArchived(client: S3Client, at: { bucket: string; key: string; url: string }, err: unknown): Promise<ArchivedCopyError> {
  const { storageClass, accessTier } = archiveOf(err);
  const where = accessTier === undefined ? storageClass : `${storageClass} (${accessTier})`;
  const time = STANDARD_RESTORE_TIME[accessTier ?? storageClass ?? ''];
  const takes = time === undefined ? '' : `, which S3 expects to take ${time}`;
  const head = `${at.url} is archived${where === undefined ? '' : ` in ${where}`} and cannot be read until S3 restores it`;
  const then = 'restore again once it has thawed, or from a destination with a warm copy';
  // Intelligent-Tiering restores back into its own tier: S3 refuses a number of days there.
  const request: RestoreRequest = {
    ...(storageClass !== 'INTELLIGENT_TIERING' && { Days: THAW_DAYS }),
    GlacierJobParameters: { Tier: 'Standard' },
  };
  try {
    await client.send(new RestoreObjectCommand({ Bucket: at.bucket, Key: at.key, RestoreRequest: request }));
    const kept = storageClass === 'INTELLIGENT_TIERING' ? '' : `, readable for ${THAW_DAYS} days`;
    return new ArchivedCopyError(`${head}; Lifeboat asked S3 to restore it (Standard tier${kept})${takes}: ${then}`);
  } catch (restoreErr) {
    if (s3ErrorCode(restoreErr) === 'RestoreAlreadyInProgress') {
      return new ArchivedCopyError(`${head}; a restore is already in progress${time === undefined ? '' : ` (S3 expects ${time} from the request)`}: ${then}`);
    }
    return new ArchivedCopyError(`${head}; asking S3 to restore it failed: ${s3Explanation(restoreErr)}`);
  }
}

function archiveOf(err: unknown): { storageClass?: string; accessTier?: string } {
  if (typeof err !== 'object' || err === null) return {};
  const { StorageClass, AccessTier } = err as { StorageClass?: unknown; AccessTier?: unknown };
  return {
    ...(typeof StorageClass === 'string' && { storageClass: StorageClass }),
    ...(typeof AccessTier === 'string' && { accessTier: AccessTier }),
  };
}
