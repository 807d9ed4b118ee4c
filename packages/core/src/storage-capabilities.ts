/**
 * What a storage type can do beyond the `StorageAdapter` contract. Each
 * capability is optional: a type declares the ones its store has, and core
 * consults the declaration instead of knowing any store by name. Plain data,
 * so that a plan carries it (see `Plan.storageCapabilities`).
 */
export interface StorageCapabilities {
  lifecycle?: LifecycleCapability;
}

/**
 * The store moves objects between storage classes and deletes them by age,
 * by rules attached to a container (an S3 bucket). `lifeboat plan check`
 * proves a plan's `lifecycle:` against these facts before backup and prune;
 * putting the rules on the store is the type's own business.
 */
export interface LifecycleCapability {
  /** Who applies the rules and bills the classes, in sentences: `S3` (`S3 bills <class> for at least 90 days`). */
  provider: string;
  /** What has lifecycle rules, in sentences: `S3 buckets` (`only S3 buckets have lifecycle rules`). */
  holders: string;
  /** The destination field naming the container rules attach to (`bucket`): a plan's rule may be keyed by its value as well as by destination name. */
  containerField: string;
  /** The container in the sentence listing what a rule may be keyed by: `the bucket of an s3 destination`. */
  containerWords: string;
  /** The destination field holding the repository's key prefix inside the container (`prefix`), when it has one. */
  prefixField?: string;
  /** The destination field naming the class objects are written in (`storageClass`), when it has one. */
  writeClassField?: string;
  /**
   * Every class, in the only order the store moves objects (its "waterfall").
   * The first is the one objects are written in unless the destination says
   * otherwise; a rule may move objects to any of the others.
   */
  classes: readonly [string, ...string[]];
  /** Moves that `classes` would allow but the store refuses, as `[from, to]`. */
  refusedMoves?: ReadonlyArray<readonly [string, string]>;
  /** Age in days an object must reach before a rule may move it to a class; absent means any age. */
  minimumAgeDays?: Readonly<Record<string, number>>;
  /** Days the store bills an object in a class however early it leaves (its minimum storage duration); absent means 0. */
  minimumDays: Readonly<Record<string, number>>;
  /** Classes whose objects cannot be read without a restore request that takes hours. */
  archiveClasses: readonly string[];
}

/** The classes a lifecycle rule may move objects to: all but the one objects start in. */
export function transitionClasses(lifecycle: LifecycleCapability): readonly string[] {
  return lifecycle.classes.slice(1);
}
