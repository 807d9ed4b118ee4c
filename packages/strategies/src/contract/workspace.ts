import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, combineListeners, generateAgeIdentity, loadPlan, type EngineContext, type Plan, type RunEvent, type RunListener, type StorageType, type Strategy } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';

/** The one component of the contract's plans. */
export const COMPONENT = 'subject';
/** Its one destination, an fs repository in the test's folder. */
export const DESTINATION = 'local';

export interface PlanOptions {
  /** The kind's own fields (the fixture's). */
  config: Record<string, unknown>;
  schedule?: string;
  drillTarget?: string;
  /** Encrypt to a fresh age key; its identity file is `keyFile`. */
  encrypted?: boolean;
}

/**
 * A test's folder: an fs repository, a lock folder, the plan, and the events
 * of every operation run from it. The registry holds the strategy under test
 * and the fs storage type, wired as the apps wire theirs.
 */
export class ContractWorkspace {
  readonly repo: string;
  readonly lockDir: string;
  readonly keyFile: string;
  readonly events: RunEvent[] = [];
  readonly registry: Registry;

  private constructor(
    readonly dir: string,
    strategy: Strategy<never>,
    /** The plan's drill target unless a test names another (the kind's throwaway target). */
    private readonly drillTarget = 'ephemeral',
  ) {
    this.repo = join(dir, 'repo');
    this.lockDir = join(dir, 'locks');
    this.keyFile = join(dir, 'age.key');
    this.registry = new Registry({ strategies: [strategy], storage: [fsStorageType] as StorageType<never>[] });
  }

  static async create(strategy: Strategy<never>, drillTarget?: string): Promise<ContractWorkspace> {
    return new ContractWorkspace(await mkdtemp(join(tmpdir(), `lifeboat-contract-${strategy.kind}-`)), strategy, drillTarget);
  }

  /** Writes the plan (JSON is YAML) and loads it as the apps do. */
  async plan(opts: PlanOptions): Promise<Plan> {
    let encryption: Record<string, unknown> | undefined;
    if (opts.encrypted) {
      const { identity, recipient } = await generateAgeIdentity();
      await writeFile(this.keyFile, `${identity}\n`, { mode: 0o600 });
      encryption = { recipients: [recipient], identity: `file:${this.keyFile}` };
    }
    const component = {
      type: this.registry.strategies[0]!.kind,
      schedule: opts.schedule ?? '0 3 * * *',
      rpo: '24h',
      rto: '4h',
      destinations: [DESTINATION],
      drill: { target: opts.drillTarget ?? this.drillTarget },
      ...opts.config,
    };
    const file = join(this.dir, 'lifeboat.yaml');
    const plan = { version: 1, name: 'contract', destinations: { [DESTINATION]: { type: 'fs', path: this.repo } }, ...(encryption ? { encryption } : {}), components: { [COMPONENT]: component } };
    await writeFile(file, JSON.stringify(plan, null, 2));
    return loadPlan(file, this.registry);
  }

  /** What an app hands the engine: no process.env beyond what child processes need, plus the source's and target's. */
  engine(plan: Plan, env: Record<string, string>, onEvent?: RunListener): EngineContext {
    return {
      plan,
      registry: this.registry,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
      lockDir: this.lockDir,
      toolVersion: 'contract',
      onEvent: combineListeners((event) => this.events.push(event), onEvent),
    };
  }

  /** Everything in the repository but its marker and the run journal: what a backup left behind. */
  async backupFiles(): Promise<string[]> {
    const found = (await readdir(this.repo, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => !e.isDirectory());
    return found
      .map((e) => join(e.parentPath, e.name).slice(this.repo.length + 1))
      .filter((f) => f !== 'lifeboat.json' && !f.startsWith('runs/'))
      .sort();
  }

  /** The `failed` events' sentences. */
  failures(): string[] {
    return this.events.flatMap((e) => (e.type === 'failed' ? [e.message] : []));
  }

  cleanup(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
