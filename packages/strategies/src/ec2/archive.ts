import type { EC2Client } from '@aws-sdk/client-ec2';
import { readCatalog, type ArchivePruneReport, type KindArchive } from '@lifeboat/core';
import { ec2Client, ec2Failure } from './client.js';
import { regionsOf, type Ec2Config } from './config.js';
import { discardImage } from './discard.js';
import { imageUsers } from './in-use.js';
import { ownedImages, ownedSnapshots, snapshotIdsOf } from './owned.js';
import { systemImageOf } from './system-image.js';
import { TAG, tagOf, type Ownership } from './tags.js';

const NAME = 'EC2 images';

async function withClients<T>(config: Ec2Config, env: Readonly<Record<string, string | undefined>>, work: (clients: Map<string, EC2Client>) => Promise<T>): Promise<T> {
  const clients = new Map(regionsOf(config).map((region) => [region, ec2Client(config, region, env)]));
  try {
    return await work(clients);
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

/**
 * The AMIs and snapshots an ec2 component keeps outside the destinations:
 * prune deregisters an image (and deletes all its snapshots) in every
 * region once no destination holds its backup's manifest and nothing uses
 * it; status counts them; verify checks the images of the backups exist.
 */
export const ec2Archive: KindArchive<Ec2Config> = {
  name: NAME,
  applies: () => true,

  async prune(ctx): Promise<ArchivePruneReport> {
    const owner: Ownership = { planName: ctx.engine.plan.name, component: ctx.component };
    const here = ctx.repository.name;
    const kept = new Set(ctx.kept.map((m) => m.id));
    const unknown = new Set(ctx.unknown);
    // A backup another destination still holds keeps its image; an unreadable destination keeps them all.
    const elsewhere = new Map<string, string[]>();
    const unreachable: string[] = [];
    const catalog = await readCatalog(ctx.engine.plan, ctx.engine.registry, {
      component: ctx.component,
      onUnreachable: (destination, reason) => unreachable.push(`${destination} (${reason})`),
      onDamaged: (damaged) => unreachable.push(`${damaged.destination} (${damaged.problem})`),
    });
    for (const entry of catalog) {
      const others = entry.destinations.filter((d) => d !== here);
      if (others.length > 0) elsewhere.set(entry.id, others);
    }
    const lines: string[] = [];
    const problems: string[] = [];
    let remove = 0;
    let keep = 0;
    let removed = 0;
    await withClients(ctx.config, ctx.engine.env, async (clients) => {
      for (const [region, client] of clients) {
        let images;
        try {
          images = await ownedImages(client, owner);
        } catch (err) {
          problems.push(ec2Failure('DescribeImages', region, err));
          continue;
        }
        for (const image of images) {
          ctx.signal.throwIfAborted();
          const imageId = image.ImageId!;
          const backupId = tagOf(image.Tags, TAG.backupId) ?? '(untagged)';
          const why = kept.has(backupId)
            ? undefined
            : unknown.has(backupId)
              ? `its manifest in ${here} cannot be read`
              : elsewhere.has(backupId)
                ? `backup ${backupId} is still in ${elsewhere.get(backupId)!.join(', ')}`
                : unreachable.length > 0
                  ? `cannot tell whether other destinations hold backup ${backupId}: ${unreachable.join('; ')}`
                  : undefined;
          if (kept.has(backupId) || why !== undefined) {
            keep++;
            if (why !== undefined) lines.push(`keeping ${imageId} in ${region}: ${why}`);
            continue;
          }
          let users: string[];
          try {
            users = await imageUsers(client, imageId);
          } catch (err) {
            problems.push(ec2Failure(`checking who uses ${imageId}`, region, err));
            keep++;
            continue;
          }
          if (users.length > 0) {
            keep++;
            lines.push(`skipping ${imageId} in ${region} (backup ${backupId}): still used by ${users.join(', ')}`);
            continue;
          }
          remove++;
          const snapshots = snapshotIdsOf(image);
          if (ctx.dryRun) {
            lines.push(`would deregister ${imageId} in ${region} and delete its ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} (${snapshots.join(', ')}): backup ${backupId} is in no destination any more`);
            continue;
          }
          const gone = await discardImage(client, region, imageId, { backupId, snapshotIds: snapshots });
          if (gone.problems.length > 0) problems.push(...gone.problems);
          else {
            removed++;
            lines.push(`deregistered ${imageId} in ${region} and deleted ${gone.snapshots.length} snapshot${gone.snapshots.length === 1 ? '' : 's'} (backup ${backupId})`);
          }
        }
      }
    });
    const summary = [
      `${NAME}: ${ctx.dryRun ? `${remove} would be deregistered with their snapshots` : `${removed} deregistered with their snapshots`}, ${keep} kept`,
      ...lines,
    ].join('; ');
    return {
      archive: NAME,
      summary,
      remove: { files: remove, bytes: 0 },
      keep: { files: keep, bytes: 0 },
      removed,
      ...(problems.length > 0 && { error: problems.join('; ') }),
    };
  },

  async status(ctx) {
    const owner: Ownership = { planName: ctx.engine.plan.name, component: ctx.component };
    const newest = ctx.backups.at(-1);
    const record = newest && systemImageOf(newest.facts);
    const fields: Record<string, unknown> = {};
    const lines: string[] = [];
    const problems: Array<{ health: 'warning' | 'critical'; severity: 'sev1' | 'sev2' | 'sev3'; reason: string }> = [];
    await withClients(ctx.config, ctx.engine.env, async (clients) => {
      for (const [region, client] of clients) {
        try {
          const images = await ownedImages(client, owner);
          const used = new Set(images.flatMap(snapshotIdsOf));
          const orphans = (await ownedSnapshots(client, owner)).filter((s) => !used.has(s.SnapshotId!));
          fields[region] = { images: images.length, orphanSnapshots: orphans.length };
          lines.push(`${region}: ${images.length} image${images.length === 1 ? '' : 's'}${orphans.length > 0 ? `, ${orphans.length} orphan snapshot${orphans.length === 1 ? '' : 's'} (lifeboat ec2 orphans)` : ''}`);
          if (orphans.length > 0) problems.push({ health: 'warning', severity: 'sev3', reason: `${orphans.length} Lifeboat snapshot${orphans.length === 1 ? '' : 's'} in ${region} belong to no image (lifeboat ec2 orphans)` });
          const mine = record?.images.find((i) => i.region === region);
          if (mine && !images.some((i) => i.ImageId === mine.imageId && i.State === 'available')) {
            problems.push({ health: 'critical', severity: 'sev2', reason: `the newest backup's image ${mine.imageId} in ${region} is gone or not available: restore --launch cannot use it` });
          }
        } catch (err) {
          problems.push({ health: 'warning', severity: 'sev3', reason: ec2Failure('listing Lifeboat images', region, err) });
        }
      }
    });
    return { fields, lines, problems };
  },

  async verify(ctx) {
    const owner: Ownership = { planName: ctx.engine.plan.name, component: ctx.component };
    const problems: string[] = [];
    let files = 0;
    const manifests = await ctx.repository.manifests(ctx.component, () => undefined);
    await withClients(ctx.config, ctx.engine.env, async (clients) => {
      const found = new Map<string, Set<string>>();
      for (const [region, client] of clients) {
        try {
          found.set(region, new Set((await ownedImages(client, owner)).filter((i) => i.State === 'available').map((i) => i.ImageId!)));
        } catch (err) {
          problems.push(ec2Failure('DescribeImages', region, err));
        }
      }
      for (const { manifest } of manifests) {
        for (const image of systemImageOf(manifest.facts)?.images ?? []) {
          files++;
          const there = found.get(image.region);
          if (there && !there.has(image.imageId)) problems.push(`backup ${manifest.id}: its image ${image.imageId} in ${image.region} is gone or not available`);
        }
      }
    });
    return {
      archive: NAME,
      destination: ctx.repository.name,
      files,
      read: files,
      problems,
      summary: problems.length === 0 ? `${files} image${files === 1 ? '' : 's'} of the backups in ${ctx.repository.name} are available` : `${problems.length} of ${files} images missing`,
    };
  },
};
