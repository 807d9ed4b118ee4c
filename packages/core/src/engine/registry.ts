import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { PlanRegistry } from '../plan/load.js';
import { Repository } from '../repository/repository.js';
import type { StorageType } from '../storage.js';
import type { Strategy } from '../strategy.js';

/**
 * What the apps hand the engine: the strategy kinds and storage types they
 * ship. Core knows none of them by name; this is where they meet.
 */
export class Registry implements PlanRegistry {
  readonly strategies: Strategy<never>[];
  readonly storage: StorageType<never>[];

  constructor(parts: { strategies: Strategy<never>[]; storage: StorageType<never>[] }) {
    this.strategies = parts.strategies;
    this.storage = parts.storage;
  }

  strategy(kind: string): Strategy<unknown> {
    const found = this.strategies.find((s) => s.kind === kind);
    if (!found) throw new UsageError(`no strategy for component type '${kind}'`);
    return found as Strategy<unknown>;
  }

  /** Opens a destination of the plan as a repository. */
  repository(plan: Plan, name: string): Repository {
    const destination = plan.destinations[name];
    if (!destination) throw new UsageError(`${plan.file}: no destination named '${name}'`);
    const type = this.storage.find((s) => s.type === destination.type);
    if (!type) throw new UsageError(`${plan.file}: destinations.${name}.type: no storage type '${destination.type}'`);
    return new Repository(name, (type as StorageType<object>).create(destination, { planDir: plan.dir }), destination.stallTimeout);
  }

  /** The component, or a usage error that lists the plan's components. */
  component(plan: Plan, name: string) {
    const component = plan.components[name];
    if (!component) {
      throw new UsageError(`${plan.file} has no component '${name}'; it has: ${Object.keys(plan.components).join(', ')}`);
    }
    return component;
  }
}
