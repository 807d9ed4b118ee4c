import { createHash } from 'node:crypto';
import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ExitCode, UsageError, nowOf, parseDuration, readCatalog, readJournal, type CatalogEntry, type EngineContext } from '@lifeboat/core';
import { buildReport, reportCsv, reportHtml } from '@lifeboat/verify';
import type { CommandContext } from '../main.js';

export interface ReportFlags {
  since: string;
  format: 'html' | 'json' | 'csv';
  out?: string;
}

/**
 * `lifeboat report [--since 90d] [--format html|json|csv] [--out FILE]`: the
 * RPO/RTO tables with their Actual column and the audit controls, from the
 * journal and the catalog. Exit 0 once written, whatever it finds: it is a
 * document (status and doctor are the alarms).
 */
export async function reportCommand(ctx: CommandContext, opts: ReportFlags): Promise<number> {
  const sinceMs = parseDuration(opts.since);
  if (sinceMs === undefined || sinceMs <= 0) throw new UsageError(`--since ${opts.since}: expected a duration such as 90d, 4w or 24h`);
  const plan = await ctx.loadPlan();
  const engine: EngineContext = { ...ctx.engine(plan), onEvent: () => undefined };
  const warn = (message: string) => ctx.io.stderr.write(`lifeboat: warning: ${message}\n`);
  const unreachable = new Map<string, string>();
  const [catalog, journal] = await Promise.all([
    readCatalog(plan, ctx.registry, { onWarning: warn, onUnreachable: (d, reason) => unreachable.set(d, reason) }),
    readJournal(plan, ctx.registry, warn),
  ]);
  const now = nowOf(engine);
  const from = now.getTime() - sinceMs;
  const hashes = await manifestHashes(engine, catalog.filter((e) => Date.parse(e.manifest.finishedAt) >= from), warn);
  const report = buildReport({ plan, catalog, journal, now, sinceMs, manifestSha256: hashes, unreachable });
  const text = opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : opts.format === 'csv' ? reportCsv(report) : reportHtml(report);
  if (!opts.out || opts.out === '-') {
    ctx.io.stdout.write(text);
    return ExitCode.ok;
  }
  const file = path.resolve(ctx.environment.cwd, opts.out);
  // Whole or not at all: a report cut short must not pass for one.
  const temp = `${file}.lifeboat-tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
  const s = report.summary;
  ctx.io.stdout.write(`wrote ${file}: ${report.components.length} components, controls ${s.compliant} compliant, ${s['non-compliant']} non-compliant, ${s.unknown} unknown\n`);
  return ExitCode.ok;
}

/** sha256 of each backup's manifest.json as stored in the first destination that holds it: the evidence an auditor can re-check. */
async function manifestHashes(ctx: EngineContext, entries: CatalogEntry[], warn: (m: string) => void): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const entry of entries) {
    const destination = entry.destinations[0];
    if (!destination) continue;
    const repository = ctx.registry.repository(ctx.plan, destination);
    try {
      const bytes = await repository.answered(repository.adapter.get(repository.manifestKey(entry.component, entry.id)).then((s) => buffer(s)));
      hashes.set(entry.id, createHash('sha256').update(bytes).digest('hex'));
    } catch (err) {
      warn(`cannot read the manifest of ${entry.id} in ${repository.description} to hash it: ${(err as Error).message}`);
    }
  }
  return hashes;
}
