import type { Readable } from 'node:stream';
import type { ByteRange, PutOptions, StorageAdapter, StoredObject, VersionedObject, WriteCondition } from '@lifeboat/core';
import type { S3StorageOptions } from './s3-adapter.js';
import { s3Destination } from './s3-options.js';

/**
 * An s3 destination whose AWS SDK (a third of a second and more of start-up)
 * loads on first use, so that commands and plans that never touch a bucket
 * do not pay for it. Settings are checked at once, as `S3Storage` would.
 * Every `StorageAdapter` method forwards to the real `S3Storage`: a method
 * added to the interface needs its line here too (the compiler says so).
 */
export class LazyS3Storage implements StorageAdapter {
  readonly description: string;
  readonly #options: S3StorageOptions;
  #loaded?: Promise<StorageAdapter>;

  constructor(options: S3StorageOptions) {
    this.description = s3Destination(options).description;
    this.#options = options;
  }

  #adapter(): Promise<StorageAdapter> {
    return (this.#loaded ??= import('./s3-adapter.js').then(({ S3Storage }) => new S3Storage(this.#options)));
  }

  async put(key: string, body: Readable, opts?: PutOptions): Promise<StoredObject> {
    return (await this.#adapter()).put(key, body, opts);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return (await this.#adapter()).get(key, range);
  }

  async head(key: string): Promise<StoredObject | undefined> {
    return (await this.#adapter()).head(key);
  }

  async *list(prefix: string): AsyncGenerator<StoredObject> {
    yield* (await this.#adapter()).list(prefix);
  }

  async delete(keys: string[]): Promise<void> {
    return (await this.#adapter()).delete(keys);
  }

  async putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined> {
    return (await this.#adapter()).putIf(key, bytes, condition);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    return (await this.#adapter()).getVersioned(key);
  }
}
