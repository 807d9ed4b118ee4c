import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { Ec2Config } from './config.js';

/** Attempts per request: the SDK backs off on RequestLimitExceeded and 5xx between them. */
export const EC2_MAX_ATTEMPTS = 5;

/**
 * A client for `region`. Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * (and AWS_SESSION_TOKEN) from the environment the app hands the strategy
 * when set there, else the AWS default chain (profile, SSO, instance role).
 */
export function ec2Client(config: Pick<Ec2Config, 'endpoint'>, region: string, env: Readonly<Record<string, string | undefined>>, maxAttempts = EC2_MAX_ATTEMPTS): EC2Client {
  const settings: EC2ClientConfig = { region, retryMode: 'standard', maxAttempts };
  if (config.endpoint !== undefined) settings.endpoint = config.endpoint;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    settings.credentials = { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  return new EC2Client(settings);
}

/** The error code EC2 answered (`InvalidAMIID.NotFound`), if the error is one of its answers. */
export function ec2Code(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; $metadata?: unknown; Code?: unknown };
  if (e.$metadata === undefined) return undefined;
  return typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : undefined;
}

/** One sentence for an EC2 failure: what was asked, in which region, and EC2's own code and words. */
export function ec2Failure(what: string, region: string, err: unknown): string {
  const code = ec2Code(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'RequestLimitExceeded') {
    return `${what} in ${region} was throttled by EC2 (RequestLimitExceeded) on every one of ${EC2_MAX_ATTEMPTS} attempts; try again later, or ask AWS for a higher API rate`;
  }
  if (code === 'UnauthorizedOperation' || code === 'AuthFailure') {
    return `${what} in ${region} was refused by EC2 (${code}): ${message}; see lifeboat s3 policy for the permissions a plan needs`;
  }
  return code ? `${what} in ${region} failed: ${code}: ${message}` : `${what} in ${region} failed: ${message}`;
}
