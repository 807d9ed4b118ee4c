import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExitCode, LifeboatError, readCatalog, readJournal, runBackup, runRestore, type Plan, type RestoreRequest, type RunListener } from '@lifeboat/core';
import { runDrill } from '@lifeboat/verify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ContractSource, ContractTarget, StrategyFixture } from './fixture.js';
import { COMPONENT, ContractWorkspace, DESTINATION } from './workspace.js';

export type { ContractSource, ContractTarget, DyingSource, StockTool, StrategyFixture } from './fixture.js';

const run = promisify(execFile);

/**
 * The behaviour every `Strategy` promises, as one vitest suite run against a
 * real source of its kind. A kind proves itself by calling
 * `strategyContract(kind, fixture)` from its own `contract.int.test.ts`; the
 * suite drives it through the engine (runBackup, runRestore, runDrill) with
 * the fs storage type, as the apps do. See docs/adding-a-strategy.md.
 */
export function strategyContract(kind: string, fixture: StrategyFixture): void {
  describe(`strategy contract: ${kind}`, () => {
    let ws: ContractWorkspace;
    let source: ContractSource;

    beforeAll(async () => {
      expect(fixture.strategy.kind).toBe(kind);
      await fixture.start?.();
    });
    afterAll(async () => {
      await fixture.stop?.();
    });
    beforeEach(async () => {
      ws = await ContractWorkspace.create(fixture.strategy, fixture.drillTarget);
      source = await fixture.source(ws.dir);
    });
    afterEach(async () => {
      try {
        await source?.cleanup();
      } finally {
        await ws?.cleanup();
      }
    });

    const backUp = async (plan: Plan, env: Record<string, string>, onEvent?: RunListener) => {
      const { exitCode, results } = await runBackup(ws.engine(plan, env, onEvent), [COMPONENT]);
      return { exitCode, result: results[0]! };
    };
    const backedUp = async (plan: Plan) => {
      const backup = await backUp(plan, source.env);
      expect(backup.result.error).toBeUndefined();
      expect(backup).toMatchObject({ exitCode: ExitCode.ok, result: { outcome: 'ok' } });
      return backup.result.backupId!;
    };
    const request = (extra: Partial<RestoreRequest>): RestoreRequest => ({ clean: false, yes: false, options: {}, ...extra });
    const restore = (plan: Plan, target: ContractTarget, extra: Partial<RestoreRequest> = {}) =>
      runRestore(ws.engine(plan, { ...source.env, ...target.env }), { component: COMPONENT }, request({ ...target.request, ...extra }));
    const catalog = (plan: Plan) => readCatalog(plan, ws.registry, { component: COMPONENT });

    it('round trip: a restore into an empty target equals the source by its own measure, and no secret is printed or recorded', async () => {
      await source.fill();
      const before = await source.measure();
      const plan = await ws.plan({ config: source.config });
      const backupId = await backedUp(plan);
      expect((await catalog(plan)).map((e) => e.id)).toEqual([backupId]);

      const target = await source.target('empty');
      const outcome = await restore(plan, target);
      expect(outcome.backupId).toBe(backupId);
      expect(outcome.checks.filter((c) => !c.ok)).toEqual([]);
      expect(await target.measure()).toEqual(before);
      // Backing up and restoring never changed the source.
      expect(await source.measure()).toEqual(before);

      const recorded = JSON.stringify([ws.events, (await catalog(plan)).map((e) => e.manifest)]);
      for (const secret of source.secrets) expect(recorded).not.toContain(secret);
    });

    it('fails closed on a source that dies mid-backup: exit 1, a sentence, no manifest, no debris, and the journal says so', async () => {
      await source.fill();
      const dying = await source.dying();
      const plan = await ws.plan({ config: { ...source.config, ...dying.config } });
      const backup = await backUp(plan, dying.env, dying.onEvent);
      expect(backup).toMatchObject({ exitCode: ExitCode.failed, result: { outcome: 'failed' } });
      const [failure, ...more] = ws.failures();
      expect(more).toEqual([]);
      expect(failure).toMatch(/^backup of subject failed: \S/);
      if (dying.failure) expect(failure).toMatch(dying.failure);
      expect(await ws.backupFiles()).toEqual([]);
      expect(await catalog(plan)).toEqual([]);
      const journal = await readJournal(plan, ws.registry);
      expect(journal).toMatchObject([{ operation: 'backup', exitCode: ExitCode.failed, components: [{ component: COMPONENT, outcome: 'failed', error: failure }] }]);
    });

    it(`restore refuses an occupied target without ${describeFlags(fixture.confirm)} and changes nothing; with them, it replaces what the target held`, async () => {
      await source.fill();
      const plan = await ws.plan({ config: source.config });
      await backedUp(plan);
      const target = await source.target('occupied');
      const held = await target.measure();
      expect(held).not.toEqual(await source.measure());

      // Nothing, and each confirming flag without the others.
      const partial = Object.keys(fixture.confirm).length > 1 ? Object.entries(fixture.confirm).map(([flag, value]) => ({ [flag]: value })) : [];
      for (const flags of [{}, ...partial]) {
        const refused = await restore(plan, target, flags).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused, `restore with ${describeFlags(flags) || 'no flags'}`).toBeInstanceOf(LifeboatError);
        expect((refused as LifeboatError).exitCode).toBe(ExitCode.usage);
        expect(ws.failures().at(-1)).toBe((refused as LifeboatError).message);
        expect(await target.measure()).toEqual(held);
      }

      await restore(plan, target, fixture.confirm);
      expect(await target.measure()).toEqual(await source.measure());
    });

    it('drill: restores into a throwaway target, checks it, records the RTO actual in the journal, and leaves the source alone', async () => {
      await source.fill();
      const before = await source.measure();
      const plan = await ws.plan({ config: source.config, ...(fixture.drillTarget ? { drillTarget: fixture.drillTarget } : {}) });
      const backupId = await backedUp(plan);
      const { exitCode, results } = await runDrill(ws.engine(plan, source.env), [COMPONENT]);
      expect(results[0]?.error).toBeUndefined();
      expect(exitCode).toBe(ExitCode.ok);
      const [result] = results;
      expect(result).toMatchObject({ component: COMPONENT, ok: true, backupId, target: expect.any(String), rtoActualMs: expect.any(Number) });
      expect(result!.checks.filter((c) => !c.ok)).toEqual([]);
      const drills = (await readJournal(plan, ws.registry)).filter((r) => r.operation === 'drill');
      expect(drills).toMatchObject([{ exitCode: ExitCode.ok, components: [{ component: COMPONENT, outcome: 'ok', details: { rtoActualMs: result!.rtoActualMs } }] }]);
      expect(await source.measure()).toEqual(before);
    });

    // Only for kinds that honour it (the others ignore the previous backup and back up on every run).
    if (fixture.onChange) {
      it('schedule on-change: an unchanged source writes no backup; one change writes one', async () => {
        await source.fill();
        const plan = await ws.plan({ config: source.config, schedule: 'on-change' });
        const first = await backedUp(plan);
        const again = await backUp(plan, source.env);
        expect(again).toMatchObject({ exitCode: ExitCode.ok, result: { outcome: 'unchanged' } });
        expect((await catalog(plan)).map((e) => e.id)).toEqual([first]);

        expect(source.change, 'a fixture with onChange: true has change()').toBeDefined();
        await source.change!();
        const second = await backedUp(plan);
        expect((await catalog(plan)).map((e) => e.id)).toEqual([first, second]);
      });
    }

    it('encrypted: every stored artifact is age ciphertext that `age -d` piped into the stock tool reads; Lifeboat restores it equal', async () => {
      await source.fill();
      const before = await source.measure();
      const plan = await ws.plan({ config: source.config, encrypted: true });
      await backedUp(plan);
      const [entry] = await catalog(plan);
      const repository = ws.registry.repository(plan, DESTINATION);
      expect(entry!.manifest.artifacts.length).toBeGreaterThan(0);
      for (const artifact of entry!.manifest.artifacts) {
        expect(artifact).toMatchObject({ encryption: 'age', name: expect.stringMatching(/\.age$/) });
        const name = artifact.name.replace(/\.age$/, '');
        const tool = fixture.stockTools[name];
        expect(tool, `a stock tool for ${name}`).toBeDefined();
        const stored = join(ws.repo, repository.artifactKey(COMPONENT, entry!.id, artifact.name));
        // No pipefail: a tool may stop reading once it has what it needs (pg_restore --list reads only the TOC).
        const read = await run('sh', ['-c', `age -d -i "$1" "$2" | ${tool!.command}`, 'stock', ws.keyFile, stored], { maxBuffer: 64 * 1024 * 1024 }).catch((err: { message: string; stderr?: string }) => {
          throw new Error(`${tool!.command} could not read ${artifact.name} decrypted by age: ${err.stderr || err.message}`);
        });
        if (tool!.output) expect(read.stdout).toMatch(tool!.output);
      }

      const target = await source.target('empty');
      await restore(plan, target);
      expect(await target.measure()).toEqual(before);
    });
  });
}

function describeFlags(flags: Partial<RestoreRequest>): string {
  // A kind's own options count as flags too (`options: { launch: true }` is --launch).
  return Object.entries({ ...flags, ...flags.options })
    .filter(([, value]) => value === true)
    .map(([flag]) => `--${flag}`)
    .join(' ');
}
