import { rmSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@lifeboat/vitest-config/scratch-dir';
import { Registry, parsePlan, readCatalog, runBackup, type Strategy } from '@lifeboat/core';
import { fsStorageType } from '@lifeboat/storage';
import { z } from 'zod';
import { verifyChecksums } from './checksums.js';
import { runVerify } from './verify.js';

/** A strategy whose source is a fixed text: enough to exercise verification on real fs storage. */
const textStrategy: Strategy<{ text: string }> = {
  kind: 'text',
  summary: 'a fixed text',
  config: z.object({ text: z.string() }),
  backup: async (ctx) => {
    await ctx.storeArtifact('text.gz', Readable.from([Buffer.from(ctx.config.text)]), { format: 'text', compress: true });
    return {};
  },
  restore: async () => ({ target: 'nowhere', checks: [] }),
};

describe('verifyChecksums', () => {
  it('passes intact copies and names the damaged one', async () => {
    const dir = scratchDir('verify-');
    const registry = new Registry({ strategies: [textStrategy as Strategy<never>], storage: [fsStorageType as never] });
    const plan = parsePlan(
      `version: 1\nname: v\ndestinations:\n  a: { type: fs, path: a }\n  b: { type: fs, path: b }\ncomponents:\n  notes:\n    type: text\n    text: hello hello hello\n    schedule: on-change\n    rpo: 1h\n    rto: 1h\n    destinations: [a, b]\n`,
      join(dir, 'lifeboat.yaml'),
      registry,
    );
    const run = await runBackup({ plan, registry, env: {}, lockDir: join(dir, 'locks'), toolVersion: 'test', onEvent: () => {} }, ['notes']);
    expect(run.exitCode).toBe(0);
    const [entry] = await readCatalog(plan, registry);
    expect((await verifyChecksums(plan, registry, entry!)).every((c) => c.ok)).toBe(true);

    const folder = join(dir, 'b', 'notes', entry!.id.slice(0, 4), entry!.id.slice(4, 6), entry!.id);
    expect(await readdir(folder)).toContain('text.gz');
    await writeFile(join(folder, 'text.gz'), 'tampered');
    const checks = await verifyChecksums(plan, registry, entry!);
    expect(checks.filter((c) => !c.ok)).toEqual([
      { destination: 'b', artifact: 'text.gz', ok: false, problem: expect.stringMatching(/^text\.gz in destination 'b' \(fs:.*\) has 8 bytes with sha256/) },
    ]);
  });
});

describe('runVerify', () => {
  it('a backup pruned after the catalog was read is skipped, not reported as damaged', async () => {
    const dir = scratchDir('verify-');
    const registry = new Registry({ strategies: [textStrategy as Strategy<never>], storage: [fsStorageType as never] });
    const plan = parsePlan(
      `version: 1\nname: v\ndestinations:\n  a: { type: fs, path: a }\ncomponents:\n  notes:\n    type: text\n    text: hello\n    schedule: "0 2 * * *"\n    rpo: 1d\n    rto: 1h\n    destinations: [a]\n`,
      join(dir, 'lifeboat.yaml'),
      registry,
    );
    const ctx = { plan, registry, env: {}, lockDir: join(dir, 'locks'), toolVersion: 'test', onEvent: () => {} };
    expect((await runBackup(ctx, ['notes'])).exitCode).toBe(0);
    const [entry] = await readCatalog(plan, registry);
    const folder = join(dir, 'a', 'notes', entry!.id.slice(0, 4), entry!.id.slice(4, 6), entry!.id);
    const steps: string[] = [];
    const outcome = await runVerify(
      {
        ...ctx,
        onEvent: (e) => {
          if (e.type !== 'step') return;
          steps.push(e.message);
          // A prune on another host removes it between the catalog read and its verification.
          if (e.message.startsWith(`verifying ${entry!.id}`)) rmSync(folder, { recursive: true });
        },
      },
      { components: ['notes'], deep: false },
    );
    expect(outcome.exitCode).toBe(0);
    expect(outcome.copies).toEqual([]);
    expect(steps).toContain(`${entry!.id} in a was pruned while verify ran; skipped`);
  });
});
