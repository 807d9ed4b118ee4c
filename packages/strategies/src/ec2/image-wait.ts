import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { LifeboatError } from '@lifeboat/core';
import { ec2Code, ec2Failure } from './client.js';

export interface ImageWait {
  /** How long the image may take (the plan's imageTimeout). */
  timeoutMs: number;
  signal: AbortSignal;
  step(message: string): void;
}

/** Polls about a hundred times within the timeout, never more often than every 50 ms nor less than every 15 s. */
export function pollDelayMs(timeoutMs: number): number {
  return Math.min(15_000, Math.max(50, Math.floor(timeoutMs / 100)));
}

/**
 * Waits until the image is `available`, with a deadline. Right after
 * CreateImage/CopyImage, EC2 may answer InvalidAMIID.NotFound for a while
 * (eventual consistency): that is waited out like `pending`. Any other
 * answer — `failed`, refused permissions — ends the wait at once. (The
 * SDK's own waiter retries every error until its deadline, so a refused
 * permission would wait hours.)
 */
export async function waitForImage(client: EC2Client, region: string, imageId: string, wait: ImageWait): Promise<Image> {
  const deadline = Date.now() + wait.timeoutMs;
  const delay = pollDelayMs(wait.timeoutMs);
  let last = 'not yet visible';
  for (;;) {
    wait.signal.throwIfAborted();
    try {
      const { Images } = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: wait.signal });
      const image = Images?.[0];
      if (image?.State === 'available') return image;
      if (image?.State === 'failed' || image?.State === 'error' || image?.State === 'invalid' || image?.State === 'deregistered') {
        throw new LifeboatError(`image ${imageId} in ${region} ended ${image.State}${image.StateReason?.Message ? `: ${image.StateReason.Message}` : ''}`);
      }
      if (image?.State !== undefined && image.State !== last) wait.step(`image ${imageId} in ${region}: ${image.State}`);
      last = image?.State ?? last;
    } catch (err) {
      if (err instanceof LifeboatError) throw err;
      if (wait.signal.aborted) throw wait.signal.reason;
      if (ec2Code(err) !== 'InvalidAMIID.NotFound') throw new LifeboatError(ec2Failure(`DescribeImages ${imageId}`, region, err), undefined, { cause: err });
    }
    if (Date.now() + delay > deadline) {
      throw new LifeboatError(`image ${imageId} in ${region} was still ${last} after ${Math.round(wait.timeoutMs / 1000)} s (imageTimeout)`);
    }
    await pause(delay, wait.signal);
  }
}

/** Waits `ms`, or rejects at once when `signal` aborts (a cancelled run does not sit out a poll). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
