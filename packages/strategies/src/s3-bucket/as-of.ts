import type { KeyHistory, VersionEntry } from './inventory.js';

/**
 * The version of a key as of `time` (ms): the newest version or delete marker
 * last modified at or before it. Undefined when the key did not exist then —
 * it was made later, or the newest entry by then is a delete marker.
 */
export function versionAsOf(history: KeyHistory, time: number): VersionEntry | undefined {
  let chosen: VersionEntry | undefined;
  for (const v of history.versions) {
    const at = Date.parse(v.lastModified);
    if (at > time) continue;
    if (!chosen || at > Date.parse(chosen.lastModified)) chosen = v;
  }
  return chosen && !chosen.deleteMarker ? chosen : undefined;
}

/** The key's current state: its latest version, undefined when absent (no versions, or a delete marker on top). */
export function currentVersion(history: KeyHistory): VersionEntry | undefined {
  const latest = history.versions.find((v) => v.isLatest) ?? history.versions[0];
  return latest && !latest.deleteMarker ? latest : undefined;
}

/** Delete markers made after `time`: what `--undelete` removes. */
export function markersAfter(history: KeyHistory, time: number): VersionEntry[] {
  return history.versions.filter((v) => v.deleteMarker && Date.parse(v.lastModified) > time);
}
