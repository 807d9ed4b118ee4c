import { planDuration, planHooks } from '@lifeboat/core';
import { z } from 'zod';

const REGION = 'an AWS region such as us-west-2';
const region = z.string({ error: REGION }).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: REGION });
const INSTANCE = 'an instance id such as i-0123456789abcdef0';
const TAGS = 'a mapping of tag names to values that picks exactly one instance, e.g. { Name: civicq-prod }';
const ENDPOINT = 'an http(s) URL without credentials';

/**
 * The ec2 component's own plan fields (merged with the common ones by the
 * plan loader). Credentials are not among them: they come from the AWS
 * default chain (environment, profile, instance role).
 */
export const ec2Config = z.object({
  /** The instance to image; or `tags` that pick exactly one running instance. */
  instanceId: z.string({ error: INSTANCE }).regex(/^i-[0-9a-f]{8,17}$/, { error: INSTANCE }).optional(),
  tags: z
    .record(z.string().min(1), z.string(), { error: TAGS })
    .refine((tags) => Object.keys(tags).length > 0, { error: TAGS })
    .optional(),
  region,
  /** Image without stopping the instance (default). false: EC2 shuts it down for a consistent image. */
  noReboot: z.boolean({ error: 'true or false' }).default(true),
  /**
   * beforeImage/afterImage run around the CreateImage call only (the moment
   * the snapshots' contents are fixed), e.g. `fsfreeze -f /data` and
   * `fsfreeze -u /data`; afterImage runs even when CreateImage fails.
   */
  hooks: planHooks(['beforeImage', 'afterImage']),
  /** Copies of each image in other regions (disaster recovery), optionally re-encrypted with a KMS key there. */
  copyTo: z
    .array(z.strictObject({ region, kmsKeyId: z.string({ error: 'a KMS key id, ARN or alias' }).min(1).optional() }), {
      error: 'a list of { region, kmsKeyId? }',
    })
    .default(() => []),
  /** How long an image (and each copy) may take to become available; big volumes take hours. */
  imageTimeout: planDuration({ zero: false }).default(6 * 3_600_000),
  /** How long a launched instance may take to pass its status checks (restore --launch, drills). */
  launchTimeout: planDuration({ zero: false }).default(30 * 60_000),
  /**
   * After `restore --launch` and a drill's launch: an http(s) URL that must
   * answer 2xx, or a shell command that must exit 0; `{instanceId}`,
   * `{privateIp}`, `{publicIp}` are filled in (ec2/health.ts).
   */
  healthCheck: z.string({ error: 'an http(s) URL or a shell command' }).min(1).optional(),
  /** How long the health check may keep failing (tried every 5 s) before the launch counts as failed. */
  healthTimeout: planDuration({ zero: false }).default(10 * 60_000),
  /**
   * `drill: { launch: true, subnet?, instanceType?, healthCheck? }` (or
   * `target: launch`): a drill launches an instance from the newest image,
   * waits for its status checks, runs `healthCheck` (with the instance's
   * addresses) and then the drill's own `healthCheck` (on this host, as for
   * every kind), and terminates it.
   */
  drill: z
    .strictObject(
      {
        launch: z.literal(true, { error: 'true (a drill launches an instance from the image)' }).optional(),
        target: z.literal('launch', { error: 'launch (the only drill target of ec2 components)' }).optional(),
        subnet: z.string({ error: 'a subnet id such as subnet-0abc' }).regex(/^subnet-[0-9a-z]+$/, { error: 'a subnet id such as subnet-0abc' }).optional(),
        instanceType: z.string({ error: 'an instance type such as t3.small' }).min(1).optional(),
        healthCheck: z.string({ error: 'an http(s) URL or a shell command' }).min(1).optional(),
      },
      { error: 'a mapping with launch: true (and optionally subnet, instanceType, healthCheck)' },
    )
    .transform(({ launch: _launch, target: _target, ...rest }) => ({ target: 'launch', ...rest }))
    .optional(),
  /** An EC2-compatible endpoint (tests: the EC2 fake). */
  endpoint: z
    .url({ protocol: /^https?$/, error: ENDPOINT })
    .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), { error: ENDPOINT })
    .optional(),
});

export type Ec2Config = z.infer<typeof ec2Config>;

/** The regions a component's images live in: its own and each copyTo. */
export function regionsOf(config: Pick<Ec2Config, 'region' | 'copyTo'>): string[] {
  return [...new Set([config.region, ...config.copyTo.map((c) => c.region)])];
}
