import { describe, expect, it } from 'vitest';
import { checkRestoreRequest, restoreOptionsSchema, type ComponentPlan } from '@lifeboat/core';
import { strategies } from './index.js';

/** A plan entry of `kind` as the loader makes it, with what the targets read. */
const entry = (kind: string, drill?: string) =>
  ({
    name: 'c',
    type: kind,
    url: 'env:URL',
    paths: ['/etc/app'],
    hooks: { beforeBackup: [], afterBackup: [], beforeRestore: [], afterRestore: [] },
    destinations: ['local'],
    ...(drill ? { drill: { target: drill } } : {}),
  }) as unknown as ComponentPlan;

describe.each(strategies.map((s) => [s.kind, s] as const))('%s: its restore surface', (kind, strategy) => {
  const surface = strategy.restoreSurface!;

  it('is declared, and every wizard target writes only into --to or an option the kind takes', () => {
    expect(surface).toBeDefined();
    const names = surface.options.map((o) => o.name);
    for (const config of [entry(kind), entry(kind, 'ephemeral')]) {
      const choices = surface.targets(config as never);
      expect(new Set(choices.map((c) => c.kind)).size).toBe(choices.length);
      expect(choices.map((c) => c.kind)).not.toContain('drill');
      for (const choice of choices) {
        for (const field of choice.fields ?? []) expect([kind, choice.kind, field.into]).toEqual([kind, choice.kind, field.into === 'to' ? 'to' : names.find((n) => n === field.into)]);
        // What a choice sets passes the kind's own check.
        expect(() => checkRestoreRequest(kind, surface as never, { clean: false, yes: true, options: { ...choice.set?.options } })).not.toThrow();
        expect(choice.fields?.length || choice.set?.to !== undefined || choice.value !== undefined).toBeTruthy();
      }
    }
  });

  it('has help for --to and each option, and a schema that refuses what it does not declare', () => {
    expect(surface.to.description).not.toBe('');
    for (const option of surface.options) expect(option.description).not.toBe('');
    expect(restoreOptionsSchema(surface.options).safeParse({ notAnOption: 1 }).success).toBe(false);
  });
});
