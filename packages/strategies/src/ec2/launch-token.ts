import { randomBytes } from 'node:crypto';
import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ec2Code, ec2Failure } from './client.js';
import { pause } from './image-wait.js';

/**
 * The ClientToken of one launch: the backup id and a nonce of this launch
 * (EC2 allows 64 ASCII characters). The SDK's retries of the request carry
 * it, so EC2 launches one instance however often the request is sent; and an
 * instance whose RunInstances answer never arrived is found by it.
 */
export function launchToken(backupId: string, nonce: string = randomBytes(4).toString('hex')): string {
  return `${backupId.slice(0, 64 - nonce.length - 1)}-${nonce}`;
}

/** The line a person runs to find the instance of a launch. */
export function findByTokenCommand(region: string, token: string): string {
  return `aws ec2 describe-instances --region ${region} --filters Name=client-token,Values=${token}`;
}

/**
 * A RunInstances that ended without an answer — cancelled while in flight,
 * the connection lost, EC2 failing with 5xx past the retries — may still
 * have launched an instance. (An answer with an EC2 error code such as
 * InsufficientInstanceCapacity or UnauthorizedOperation launched nothing.)
 */
export function mayHaveLaunched(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return ec2Code(err) === undefined || (status !== undefined && status >= 500);
}

/** The lookups after an unanswered launch: at once, then as EC2's listing catches up (eventual consistency). */
export const LOOKUP_DELAYS_MS = [0, 1_000, 2_000, 4_000];
/** The whole clean-up (lookups and terminate) has this deadline: a cancel must end. */
export const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * Finds the instances launched with `token` and terminates them. Runs after
 * the run's own signal is aborted, so on a deadline of its own. Answers what
 * it did, outcome first (a narrow screen cuts the end) — or, when it could
 * not look, the exact `aws ec2 describe-instances` line that finds the instance.
 */
export async function terminateByToken(client: EC2Client, region: string, token: string, delays: readonly number[] = LOOKUP_DELAYS_MS): Promise<string> {
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  const command = findByTokenCommand(region, token);
  try {
    for (const delay of delays) {
      if (delay > 0) await pause(delay, signal);
      const { Reservations } = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: [token] }] }), { abortSignal: signal });
      const found = (Reservations ?? []).flatMap((r) => r.Instances ?? []);
      if (found.length === 0) continue;
      const live = found.filter((i) => i.State?.Name !== 'terminated' && i.State?.Name !== 'shutting-down').map((i) => i.InstanceId!);
      if (live.length === 0) return `${found.map((i) => i.InstanceId).join(', ')} is already terminated (ClientToken ${token})`;
      await client.send(new TerminateInstancesCommand({ InstanceIds: live }), { abortSignal: signal });
      return `${live.join(', ')} was terminated (launched with ClientToken ${token})`;
    }
    return `no instance launched with ClientToken ${token} was found (EC2 may list one late: ${command})`;
  } catch (err) {
    const why = signal.aborted ? `no answer within ${CLEANUP_TIMEOUT_MS / 1000} s` : ec2Failure('finding and terminating it', region, err);
    return `an instance may be running: looking for it failed (${why}); find it with ${command} and terminate what it lists`;
  }
}
