import { isId } from '../repository/ids.js';
import { MANIFEST_NAME } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { PIN_NAME } from './pins.js';

/** Everything stored under one `<component>/<yyyy>/<mm>/<backupId>/` folder of a destination. */
export interface BackupFolder {
  backupId: string;
  prefix: string;
  keys: string[];
  bytes: number;
  /** When the newest object in it was written: how long the folder has been still. */
  newestAt: Date;
  hasManifest: boolean;
  hasPin: boolean;
}

/**
 * One listing of a component's folder in a destination, grouped by backup:
 * prune needs the manifests, the pins and the folders without a manifest
 * (debris) alike, and a listing is the expensive part on object stores.
 * Keys that are not in Lifeboat's layout are left out: not ours to judge.
 */
export async function scanBackupFolders(repository: Repository, component: string): Promise<BackupFolder[]> {
  const folders = new Map<string, BackupFolder>();
  const layout = new RegExp(`^${escape(component)}/\\d{4}/\\d{2}/([^/]+)/.+$`);
  for await (const object of repository.adapter.list(`${component}/`)) {
    const backupId = layout.exec(object.key)?.[1];
    if (backupId === undefined || !isId(backupId)) continue;
    const prefix = repository.backupPrefix(component, backupId);
    if (!object.key.startsWith(prefix)) continue; // a folder under the wrong month is not one we wrote
    let folder = folders.get(backupId);
    if (!folder) {
      folder = { backupId, prefix, keys: [], bytes: 0, newestAt: object.modifiedAt, hasManifest: false, hasPin: false };
      folders.set(backupId, folder);
    }
    folder.keys.push(object.key);
    folder.bytes += object.bytes;
    if (object.modifiedAt > folder.newestAt) folder.newestAt = object.modifiedAt;
    const name = object.key.slice(prefix.length);
    if (name === MANIFEST_NAME) folder.hasManifest = true;
    if (name === PIN_NAME) folder.hasPin = true;
  }
  return [...folders.values()].sort((a, b) => (a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
