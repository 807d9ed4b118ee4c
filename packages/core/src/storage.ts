import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { StorageCapabilities } from './storage-capabilities.js';

/** One object in a destination. `key` is relative to the destination's root/prefix. */
export interface StoredObject {
  key: string;
  bytes: number;
  modifiedAt: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive; omitted = to the end. */
  end?: number;
}

export interface PutOptions {
  /** Aborting makes `put` reject and leaves nothing visible under `key`. */
  signal?: AbortSignal;
  /** Size when known in advance (lets object stores pick part sizes). */
  expectedBytes?: number;
  /**
   * `artifact` for backup data, which lifecycle rules may move to cold tiers;
   * anything else (manifests, the marker, the journal) must stay readable at
   * once. S3 tags artifacts `lifeboat-kind=artifact` for lifecycle filters.
   */
  kind?: 'artifact';
}

/**
 * When a conditional write may happen: only if no object is under the key
 * (`If-None-Match: *`), or only if the object is still the version read
 * before (`If-Match`). Used for the repository lock.
 */
export type WriteCondition = { ifAbsent: true } | { ifVersion: string };

/** A small object read whole, with the version a conditional write compares. */
export interface VersionedObject {
  bytes: Buffer;
  version: string;
}

/**
 * Where backups live. Every adapter passes `storageContract` from
 * `@lifeboat/storage/contract`. Keys use `/` separators and never start with `/`.
 *
 * - `put` is atomic: until it resolves, readers see the old object or none;
 *   if `body` errors or `signal` aborts, it rejects and nothing is visible.
 * - `get` rejects with `NotFoundError` for a missing key.
 * - `list` yields every object whose key starts with `prefix` (a plain string
 *   prefix, not a folder), in no particular order.
 * - `delete` ignores keys that do not exist.
 * - `putIf` writes a small object only when its condition holds at that
 *   moment, atomically against writers on any host; it resolves the new
 *   version, or `undefined` when the condition did not hold (nothing written).
 *   A store that ignores conditions (some S3-compatible servers) simply
 *   writes: callers that depend on it probe for that (see repository-lock).
 */
export interface StorageAdapter {
  /** For messages: `fs:/var/backups`, `s3://bucket/prefix`. Never holds secrets. */
  readonly description: string;
  put(key: string, body: Readable, opts?: PutOptions): Promise<StoredObject>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<StoredObject | undefined>;
  list(prefix: string): AsyncIterable<StoredObject>;
  delete(keys: string[]): Promise<void>;
  putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined>;
  /** A small object and its version; `undefined` when missing. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
  /**
   * What the store can tell about itself without writing (`lifeboat doctor`):
   * whether its root exists (a write would create a missing folder, hiding
   * an unmounted disk) and the free space, where the store knows it.
   */
  health?(): Promise<StorageHealth>;
  /**
   * A store on this host's own filesystem: the stored object opened read-only
   * as a regular file. A restore hashes it through this handle and hands the
   * same open file to pg_restore, instead of copying it to a spool first.
   * Rejects like `get` (NotFoundError when missing).
   */
  openFile?(key: string): Promise<FileHandle>;
}

export interface StorageHealth {
  /** False: the destination's root is missing; nothing is probed (a probe would create it). */
  exists: boolean;
  /** Bytes a write may still use; absent where the store cannot tell (object stores). */
  freeBytes?: number;
}

/** Common fields of every destination in the plan. */
export interface DestinationCommon {
  type: string;
  /** What kind of medium, for the 3-2-1 rule: disk, object-storage, tape… */
  medium: string;
  offsite: boolean;
  /** Milliseconds; unset: DEFAULT_STALL_TIMEOUT_MS. */
  stallTimeout?: number;
}

/**
 * How long a destination may take no data while data waits for it, or take to
 * finish once it has every byte, before it counts as failed (a hung socket, a
 * stuck mount): five minutes, many times what the largest S3 part takes on a
 * slow link. The plan's `stallTimeout` on a destination overrides it.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;

/**
 * A storage type the apps register (`fs`, `s3`): its own plan fields, what it
 * can do beyond the adapter contract, and a factory. The plan loader merges
 * `config` with the common destination fields.
 */
export interface StorageType<Config extends object = object> {
  type: string;
  config: z.ZodObject<z.ZodRawShape>;
  /** The default `medium` when the plan names none. */
  defaultMedium: string;
  /** Optional features of the store (lifecycle rules and storage classes); none when absent. */
  capabilities?: StorageCapabilities;
  create(config: Config & DestinationCommon, ctx: { planDir: string }): StorageAdapter;
}
