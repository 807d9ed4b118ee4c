/**
 * Pins: a person's "keep this one" on a single backup (before a migration, for
 * an investigation). A pin is a small `pin.json` beside the manifest in every
 * destination holding the backup — never a change to the manifest, whose
 * bytes are the backup's record — so any machine's prune sees it. Pinning and
 * unpinning (which read the catalog and take the lock) are `engine/pin.ts`.
 */
import { NotFoundError } from '../errors.js';
import type { Repository } from '../repository/repository.js';

export const PIN_NAME = 'pin.json';

export interface Pin {
  lifeboat: 'pin';
  component: string;
  backupId: string;
  reason: string;
  pinnedAt: string;
  host: string;
}

export function pinKey(repository: Repository, component: string, backupId: string): string {
  return repository.backupPrefix(component, backupId) + PIN_NAME;
}

/** The backup's pin in this destination; a pin that cannot be parsed still pins (deleting on a guess is worse). */
export async function readPin(repository: Repository, component: string, backupId: string): Promise<Pin | undefined> {
  let text: string;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await repository.adapter.get(pinKey(repository, component, backupId))) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const unreadable: Pin = { lifeboat: 'pin', component, backupId, reason: `${PIN_NAME} is unreadable (kept to be safe)`, pinnedAt: '', host: '' };
  try {
    const pin = JSON.parse(text) as Partial<Pin>;
    return typeof pin.reason === 'string' && pin.reason.trim() !== '' ? { ...unreadable, ...pin, reason: pin.reason } : unreadable;
  } catch {
    return unreadable;
  }
}
