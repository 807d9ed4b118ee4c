import { UsageError, type Plan } from '@lifeboat/core';

/** The named components (checked against the plan), or every component. */
export function selectComponents(plan: Plan, names: string[], filter: (name: string) => boolean = () => true): string[] {
  for (const name of names) {
    if (!plan.components[name]) {
      throw new UsageError(`${plan.file} has no component '${name}'; it has: ${Object.keys(plan.components).join(', ')}`);
    }
  }
  return names.length > 0 ? names : Object.keys(plan.components).filter(filter);
}
