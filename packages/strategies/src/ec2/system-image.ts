import { z } from 'zod';

/** The artifact each ec2 backup stores: what the image is and how to launch it again. */
export const SYSTEM_IMAGE_ARTIFACT = 'system-image.json';

const snapshot = z.object({ device: z.string(), snapshotId: z.string(), sizeGiB: z.number() });

export const systemImageSchema = z.object({
  format: z.literal(1),
  backupId: z.string(),
  name: z.string(),
  instanceId: z.string(),
  region: z.string(),
  noReboot: z.boolean(),
  /** As the instance ran when it was imaged: what `restore --launch` launches with unless told otherwise. */
  instance: z.object({
    instanceType: z.string(),
    subnetId: z.string().optional(),
    securityGroupIds: z.array(z.string()),
    keyName: z.string().optional(),
    availabilityZone: z.string().optional(),
  }),
  volumes: z.array(z.object({ device: z.string(), volumeId: z.string(), sizeGiB: z.number() })),
  /** The image in its own region first, then each copy. */
  images: z
    .array(z.object({ region: z.string(), imageId: z.string(), kmsKeyId: z.string().optional(), snapshots: z.array(snapshot) }))
    .min(1),
});

export type SystemImage = z.infer<typeof systemImageSchema>;
export type RegionImage = SystemImage['images'][number];

/** Reads the record from a manifest's facts (the same fields as the artifact). */
export function systemImageOf(facts: Record<string, unknown>): SystemImage | undefined {
  const parsed = systemImageSchema.safeParse(facts.system);
  return parsed.success ? parsed.data : undefined;
}
