import { LifeboatError } from '@lifeboat/core';

/**
 * S3 failures as one sentence for the person at the terminal, e.g.
 * `cannot write s3://backups/civicq/db/x.dump: access denied to the credentials
 * from the AWS default chain (AccessDenied)`.
 *
 * The SDK's error is not kept as `cause`: some carry the access key id and the
 * request signature (SignatureDoesNotMatch), and causes end up in logs.
 */

export type S3Action = 'read' | 'write' | 'list' | 'delete';

/** Reasons people can act on, for the codes that come from setup mistakes. */
const REASONS: Record<string, string> = {
  AccessDenied: 'access denied to the credentials from the AWS default chain',
  Forbidden: 'access denied to the credentials from the AWS default chain, or they are not valid (S3 gives no reason for HEAD requests)',
  NoSuchBucket: 'the bucket does not exist',
  InvalidAccessKeyId: 'S3 does not know the access key id from the AWS default chain',
  SignatureDoesNotMatch: 'the secret key from the AWS default chain does not match its access key id',
  ExpiredToken: 'the session credentials from the AWS default chain have expired',
  PermanentRedirect: 'the bucket is in another region than the one configured',
  SlowDown: 'S3 is throttling requests',
  NotImplemented: 'the store does not implement this request (S3-compatible stores often lack bucket settings)',
  CredentialsProviderError:
    'no AWS credentials were found in the default chain (environment, shared config and credentials files, SSO, container or instance role)',
};

/** The S3 error code (`AccessDenied`, `NoSuchKey`…), a system error code, or the error's name. */
export function s3ErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  // HEAD responses have no body: the SDK names those errors after the HTTP status.
  const status = httpStatus(err);
  if (err.name === 'NotFound' || (err.name === 'Unknown' && status === 404)) return 'NotFound';
  if (err.name === 'Forbidden' || ((err.name === 'Unknown' || err.name === '403') && status === 403)) return 'Forbidden';
  if ((err.name === 'Unknown' || err.name === '301') && status === 301) return 'PermanentRedirect';
  if ('Code' in err && typeof err.Code === 'string') return err.Code;
  if ('code' in err && typeof err.code === 'string') return err.code; // ECONNREFUSED and friends
  return err.name === 'Error' ? undefined : err.name;
}

export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = err.$metadata as { httpStatusCode?: unknown } | undefined;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function attempts(err: unknown): number {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return 1;
  const metadata = err.$metadata as { attempts?: unknown } | undefined;
  return typeof metadata?.attempts === 'number' ? metadata.attempts : 1;
}

/** Why `err` happened, without its code: S3's own message unless we know a clearer one. */
export function s3Reason(err: unknown): string {
  const code = s3ErrorCode(err);
  const known = code === undefined ? undefined : REASONS[code];
  const message = err instanceof Error ? err.message : String(err);
  const reason = known ?? (message.trim() === '' || message === code ? `HTTP ${httpStatus(err) ?? 'error'}` : message.trim().replace(/\.$/, ''));
  const tries = attempts(err);
  return tries > 1 ? `${reason}, still after ${tries} attempts` : reason;
}

/** `<reason> (<code>)`. */
export function s3Explanation(err: unknown): string {
  const code = s3ErrorCode(err);
  return `${s3Reason(err)}${code === undefined ? '' : ` (${code})`}`;
}

/** `cannot <action> <target>: <reason> (<code>)`; a LifeboatError passes through unchanged. */
export function s3Failure(action: S3Action, target: string, err: unknown): LifeboatError {
  if (err instanceof LifeboatError) return err;
  return new LifeboatError(`cannot ${action} ${target}: ${s3Explanation(err)}`);
}
