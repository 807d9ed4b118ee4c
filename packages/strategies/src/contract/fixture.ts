import type { RestoreRequest, RunEvent, Strategy } from '@lifeboat/core';

/**
 * What a kind hands `strategyContract`: real sources and restore targets of
 * its kind, and its own measure of "the same data". The suite does the rest
 * through the engine, as the apps do.
 */
export interface StrategyFixture {
  /** The strategy under test; the suite registers it with the fs storage type and nothing else. */
  strategy: Strategy<never>;
  /** Starts what sources and targets share (a server), once before the suite; `stop` ends it. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** A new, empty source for one test; `dir` is the test's own folder, removed after it. */
  source(dir: string): Promise<ContractSource>;
  /**
   * The flags that confirm replacing what a restore target holds, e.g.
   * `{ clean: true, yes: true }` (files: `{ yes: true }`). Without all of
   * them, a restore into an occupied target must be refused.
   */
  confirm: Partial<RestoreRequest>;
  /**
   * How a person without Lifeboat reads each artifact once `age -d` has
   * decrypted it: a shell command that takes the artifact on stdin (e.g.
   * `pg_restore --list`, `tar -tzf -`), by artifact name (without `.age`).
   * Every artifact the strategy stores needs one.
   */
  stockTools: Record<string, StockTool>;
  /** `drill.target` for the plan; `ephemeral` unless the kind needs another throwaway target. */
  drillTarget?: string;
  /** The kind honours `schedule: on-change` (an unchanged source writes no backup). */
  onChange: boolean;
}

export interface StockTool {
  command: string;
  /** What its output shows when it read the artifact (it must exit 0 as well). */
  output?: RegExp;
}

export interface ContractSource {
  /** The component's kind-specific plan fields: `url: env:NAME`, `paths: [...]`… */
  config: Record<string, unknown>;
  /** The environment those fields refer to (URLs with passwords: never in the plan). */
  env: Record<string, string>;
  /** Secrets that must never show in events or manifests (passwords). */
  secrets: string[];
  /** Fills the source with data worth backing up. */
  fill(): Promise<void>;
  /** The data, by the kind's own measure (row fingerprints, keys with values and TTLs, a tree description): equal means restored. */
  measure(): Promise<unknown>;
  /** Changes the data a little (one row, one key, one byte); needed when the fixture supports on-change. */
  change?(): Promise<void>;
  /** The same data behind a source that dies in the middle of a backup. */
  dying(): Promise<DyingSource>;
  /** A restore target: `empty`, or `occupied` by data of its own that a restore would replace. */
  target(state: 'empty' | 'occupied'): Promise<ContractTarget>;
  /** Removes what `source`, `dying` and `target` made (targets too, restored or not). */
  cleanup(): Promise<void>;
}

export interface DyingSource {
  /** Plan fields that replace the source's own (another URL, a binDir…). */
  config: Record<string, unknown>;
  env: Record<string, string>;
  /** Sees the backup's events as they happen, to pull the plug at the right moment (the suite's listener is synchronous). */
  onEvent?(event: RunEvent): void;
  /** The sentence the failure must say, when the kind knows it. */
  failure?: RegExp;
}

export interface ContractTarget {
  /** What a user would pass: `--to` (as `target`), a kind's own flags in `options` (`--to-dir` as `options.toDir`)… */
  request: Partial<RestoreRequest>;
  env: Record<string, string>;
  /** What the target holds now, by the same measure as the source's. */
  measure(): Promise<unknown>;
}
