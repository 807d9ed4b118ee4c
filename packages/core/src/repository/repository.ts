import { Readable } from 'node:stream';
import { withTimeout } from '../deadline.js';
import { formatDuration } from '../duration.js';
import { LifeboatError, NotFoundError, describeError } from '../errors.js';
import { DEFAULT_STALL_TIMEOUT_MS, type StorageAdapter } from '../storage.js';
import { idTime, isId } from './ids.js';
import { MANIFEST_NAME, manifestSchema, type Manifest } from './manifest.js';

export const REPOSITORY_FORMAT = 1;
export const MARKER_KEY = 'lifeboat.json';
/** Top-level names that are not components. */
export const RESERVED_NAMES = ['wal', 'runs', 'locks', MARKER_KEY] as const;

export interface RepositoryMarker {
  lifeboat: 'repository';
  format: number;
  plan: string;
  createdAt: string;
}

/** A manifest found in one destination, with the key it was read from. */
export interface FoundManifest {
  key: string;
  manifest: Manifest;
}

/**
 * One destination seen as a Lifeboat repository: the self-describing layout of
 * ARCHITECTURE §3. Everything here reads the destination itself, never local
 * state, so a new server with the plan and credentials finds every backup.
 */
export class Repository {
  constructor(
    readonly name: string,
    readonly adapter: StorageAdapter,
    /** The destination's `stallTimeout`: how long a write or cleanup there may hang before it counts as failed. */
    readonly stallTimeoutMs = DEFAULT_STALL_TIMEOUT_MS,
  ) {}

  get description(): string {
    return `destination '${this.name}' (${this.adapter.description})`;
  }

  /** `work` against this destination, or an error naming it once its stallTimeout passes without an answer. */
  answered<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.stallTimeoutMs, `${this.description} gave no answer within ${formatDuration(this.stallTimeoutMs)} (its stallTimeout)`);
  }

  /** `<component>/<yyyy>/<mm>/<backupId>/` */
  backupPrefix(component: string, backupId: string): string {
    const at = idTime(backupId);
    if (!at) throw new LifeboatError(`'${backupId}' is not a backup id (expected something like 20260214T020000Z-3f9a1c)`);
    const yyyy = String(at.getUTCFullYear());
    const mm = String(at.getUTCMonth() + 1).padStart(2, '0');
    return `${component}/${yyyy}/${mm}/${backupId}/`;
  }

  artifactKey(component: string, backupId: string, artifact: string): string {
    return this.backupPrefix(component, backupId) + artifact;
  }

  /** The repository lock of a component (engine/repository-lock.ts). */
  lockKey(component: string): string {
    return `locks/${component}.json`;
  }

  manifestKey(component: string, backupId: string): string {
    return this.backupPrefix(component, backupId) + MANIFEST_NAME;
  }

  /** Creates the marker on first use; refuses a repository of another format or plan. */
  async ensureMarker(planName: string, now: Date): Promise<void> {
    const existing = await this.readMarker();
    if (existing) {
      if (existing.plan !== planName) {
        throw new LifeboatError(
          `${this.description} already holds the repository of plan '${existing.plan}', not '${planName}'; give each plan its own path or prefix`,
        );
      }
      return;
    }
    const marker: RepositoryMarker = { lifeboat: 'repository', format: REPOSITORY_FORMAT, plan: planName, createdAt: now.toISOString() };
    await this.adapter.put(MARKER_KEY, Readable.from([Buffer.from(JSON.stringify(marker, null, 2) + '\n')]));
  }

  async readMarker(): Promise<RepositoryMarker | undefined> {
    const text = await this.readText(MARKER_KEY);
    if (text === undefined) return undefined;
    let marker: RepositoryMarker;
    try {
      marker = JSON.parse(text) as RepositoryMarker;
    } catch {
      throw new LifeboatError(`${this.description} has a ${MARKER_KEY} that is not valid JSON; it is not a Lifeboat repository`);
    }
    if (marker.lifeboat !== 'repository' || typeof marker.format !== 'number') {
      throw new LifeboatError(`${this.description} has a ${MARKER_KEY} that is not a Lifeboat repository marker`);
    }
    if (marker.format > REPOSITORY_FORMAT) {
      throw new LifeboatError(
        `${this.description} uses repository format ${marker.format}, newer than this Lifeboat understands (${REPOSITORY_FORMAT}); upgrade Lifeboat`,
      );
    }
    return marker;
  }

  /**
   * Every committed backup of `component` (or of all components) in this
   * destination. A manifest that cannot be read is reported through
   * `onDamaged`, never silently taken for a backup.
   */
  async manifests(component?: string, onDamaged?: (key: string, reason: string) => void): Promise<FoundManifest[]> {
    const found: FoundManifest[] = [];
    const prefix = component === undefined ? '' : `${component}/`;
    for await (const object of this.adapter.list(prefix)) {
      if (!object.key.endsWith(`/${MANIFEST_NAME}`)) continue;
      const top = object.key.split('/')[0]!;
      if ((RESERVED_NAMES as readonly string[]).includes(top)) continue;
      try {
        const manifest = await this.readManifest(object.key);
        const home = isId(manifest.id) ? this.manifestKey(manifest.component, manifest.id) : undefined;
        if (home !== object.key) {
          // Copied or moved by hand (a folder named `..`, another component's
          // folder): its artifacts are not where the manifest says.
          throw new LifeboatError(`it describes backup '${manifest.id}' of ${manifest.component}, whose manifest belongs at ${home ?? 'no valid key'}`);
        }
        found.push({ key: object.key, manifest });
      } catch (err) {
        onDamaged?.(object.key, describeError(err));
      }
    }
    return found.sort((a, b) => a.manifest.startedAt.localeCompare(b.manifest.startedAt) || a.manifest.id.localeCompare(b.manifest.id));
  }

  async readManifest(key: string): Promise<Manifest> {
    const text = await this.readText(key);
    if (text === undefined) throw new NotFoundError(key, this.description);
    const parsed = manifestSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new LifeboatError(`${key} in ${this.description} is not a valid manifest`);
    return parsed.data as Manifest;
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    const key = this.manifestKey(manifest.component, manifest.id);
    await this.adapter.put(key, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]));
  }

  /** Removes everything under a backup's folder: the manifest first, so a half-removed backup never looks complete. */
  async removeBackup(component: string, backupId: string): Promise<void> {
    const prefix = this.backupPrefix(component, backupId);
    await this.adapter.delete([prefix + MANIFEST_NAME]);
    const keys: string[] = [];
    for await (const object of this.adapter.list(prefix)) keys.push(object.key);
    if (keys.length > 0) await this.adapter.delete(keys);
  }

  private async readText(key: string): Promise<string | undefined> {
    let stream: Readable;
    try {
      stream = await this.adapter.get(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
