import { Readable } from 'node:stream';
import { CopyImageCommand, CreateImageCommand, DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { LifeboatError, runHooks, type BackupContext, type SourceFacts } from '@lifeboat/core';
import { ec2Client, ec2Code, ec2Failure } from './client.js';
import type { Ec2Config } from './config.js';
import { discardImage } from './discard.js';
import { waitForImage } from './image-wait.js';
import { describeForRecord, findInstance } from './instance.js';
import { SYSTEM_IMAGE_ARTIFACT, type RegionImage, type SystemImage } from './system-image.js';
import { imageName, lifeboatTags, type Ownership } from './tags.js';

/**
 * A full-system backup: an AMI of the instance (one EBS snapshot per volume),
 * optional copies in other regions, and a small JSON record of it stored
 * through the normal fan-out so the catalog and the manifest live in the
 * destinations like every backup. Fail closed: whatever image or copy this
 * run made is deregistered and its snapshots deleted when any step fails.
 */
export async function backupEc2(ctx: BackupContext<Ec2Config>): Promise<SourceFacts> {
  const { config } = ctx;
  const owner: Ownership = { planName: ctx.planName, component: ctx.component };
  const name = imageName(owner, ctx.backupId);
  const clients = new Map<string, EC2Client>();
  const client = (region: string) => {
    let c = clients.get(region);
    if (!c) clients.set(region, (c = ec2Client(config, region, ctx.env)));
    return c;
  };
  const made: Array<{ region: string; imageId: string }> = [];
  try {
    const home = client(config.region);
    const instance = await findInstance(home, ctx.component, config);
    const described = await describeForRecord(home, config.region, instance);
    ctx.step(`imaging ${instance.InstanceId} (${described.instance.instanceType}, ${described.volumes.length} volume${described.volumes.length === 1 ? '' : 's'}, ${described.volumes.reduce((n, v) => n + v.sizeGiB, 0)} GiB) in ${config.region}${config.noReboot ? ' without a reboot' : ''}`);

    const imageId = await createImage(ctx, home, instance.InstanceId!, name, owner);
    made.push({ region: config.region, imageId });
    const wait = { timeoutMs: config.imageTimeout, signal: ctx.signal, step: ctx.step };
    const images: RegionImage[] = [regionImage(config.region, await waitForImage(home, config.region, imageId, wait))];
    ctx.step(`image ${imageId} is available in ${config.region}`);

    for (const copy of config.copyTo) {
      const target = client(copy.region);
      let copyId: string;
      try {
        const answer = await target.send(
          new CopyImageCommand({
            SourceImageId: imageId,
            SourceRegion: config.region,
            Name: name,
            // CopyImage is idempotent by ClientToken: a retried request makes no second copy.
            ClientToken: `${ctx.backupId}-${copy.region}`.slice(0, 64),
            CopyImageTags: true,
            ...(copy.kmsKeyId !== undefined && { Encrypted: true, KmsKeyId: copy.kmsKeyId }),
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: lifeboatTags(owner, ctx.backupId, name) }],
          }),
          { abortSignal: ctx.signal },
        );
        copyId = answer.ImageId!;
      } catch (err) {
        throw new LifeboatError(ec2Failure(`CopyImage ${imageId} from ${config.region}`, copy.region, err), undefined, { cause: err });
      }
      made.push({ region: copy.region, imageId: copyId });
      ctx.step(`copying ${imageId} to ${copy.region} as ${copyId}`);
      const copied = await waitForImage(target, copy.region, copyId, wait);
      images.push({ ...regionImage(copy.region, copied), ...(copy.kmsKeyId !== undefined && { kmsKeyId: copy.kmsKeyId }) });
      ctx.step(`copy ${copyId} is available in ${copy.region}`);
    }

    const record: SystemImage = { format: 1, backupId: ctx.backupId, name, instanceId: instance.InstanceId!, region: config.region, noReboot: config.noReboot, ...described, images };
    const body = Buffer.from(JSON.stringify(record, null, 2) + '\n');
    await ctx.storeArtifact(SYSTEM_IMAGE_ARTIFACT, Readable.from([body]), { format: 'JSON (EC2 image record)', compress: false, expectedBytes: body.length });
    return {
      system: record,
      imageIds: Object.fromEntries(images.map((i) => [i.region, i.imageId])),
      snapshotIds: images.flatMap((i) => i.snapshots.map((s) => s.snapshotId)),
      volumeGiB: described.volumes.reduce((n, v) => n + v.sizeGiB, 0),
    };
  } catch (err) {
    // Fail closed: no image of a failed backup stays behind to be paid for and mistaken for one.
    for (const { region, imageId } of made.reverse()) {
      const gone = await discardImage(client(region), region, imageId, { backupId: ctx.backupId });
      if (gone.problems.length > 0) ctx.warn(`could not remove ${imageId} in ${region}: ${gone.problems.join('; ')}; lifeboat ec2 orphans lists what is left`);
      else ctx.step(`removed ${imageId} and ${gone.snapshots.length} snapshot${gone.snapshots.length === 1 ? '' : 's'} in ${region} (the backup failed)`);
    }
    throw err;
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

/**
 * CreateImage between the beforeImage/afterImage hooks (afterImage runs even
 * when it fails: a frozen filesystem must thaw). CreateImage takes no
 * ClientToken; the name is unique per region, so when the SDK's retry of a
 * request EC2 did carry out answers InvalidAMIName.Duplicate, the image of
 * that name is this run's.
 */
async function createImage(ctx: BackupContext<Ec2Config>, client: EC2Client, instanceId: string, name: string, owner: Ownership): Promise<string> {
  const { config } = ctx;
  const hook = (which: 'beforeImage' | 'afterImage') =>
    runHooks({ name: which, commands: config.hooks[which], cwd: ctx.planDir, env: ctx.env, signal: ctx.signal, onOutput: ctx.step });
  await hook('beforeImage');
  let created: string | undefined;
  let failure: unknown;
  try {
    const tags = lifeboatTags(owner, ctx.backupId, name);
    const answer = await client.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: name,
        Description: `Lifeboat backup ${ctx.backupId} of ${owner.component} (plan ${owner.planName})`,
        NoReboot: config.noReboot,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      }),
      { abortSignal: ctx.signal },
    );
    created = answer.ImageId;
  } catch (err) {
    if (ec2Code(err) === 'InvalidAMIName.Duplicate') created = await imageNamed(client, config.region, name);
    if (created === undefined) failure = err;
  }
  try {
    await hook('afterImage');
  } catch (err) {
    failure ??= err;
  }
  if (failure !== undefined) {
    if (created !== undefined) {
      // The image exists but afterImage failed: the caller removes what was made.
      const gone = await discardImage(client, config.region, created, { backupId: ctx.backupId });
      if (gone.problems.length > 0) ctx.warn(gone.problems.join('; '));
    }
    if (failure instanceof LifeboatError) throw failure;
    throw new LifeboatError(ec2Failure(`CreateImage of ${instanceId}`, config.region, failure), undefined, { cause: failure });
  }
  if (created === undefined) throw new LifeboatError(`CreateImage of ${instanceId} in ${config.region} answered without an image id`);
  ctx.step(`CreateImage: ${created}`);
  return created;
}

/** The image of that name (listings are eventually consistent: asked a few times). */
async function imageNamed(client: EC2Client, region: string, name: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { Images } = await client.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
    const found = Images?.[0]?.ImageId;
    if (found) return found;
  }
  return undefined;
}

function regionImage(region: string, image: Image): RegionImage {
  return {
    region,
    imageId: image.ImageId!,
    snapshots: (image.BlockDeviceMappings ?? []).flatMap((m) =>
      m.Ebs?.SnapshotId ? [{ device: m.DeviceName ?? '', snapshotId: m.Ebs.SnapshotId, sizeGiB: m.Ebs.VolumeSize ?? 0 }] : [],
    ),
  };
}
