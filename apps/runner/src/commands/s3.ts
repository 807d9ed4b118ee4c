import { ExitCode, UsageError, describeError, type BucketRequirement, type Plan } from '@lifeboat/core';
import { loadS3Sdk, type BucketDiff, type DesiredBucket } from '@lifeboat/storage';
import type { CommandContext } from '../main.js';

/**
 * `lifeboat s3 apply|check|policy`: the plan's s3 buckets as code. apply and
 * check read each bucket and compare it with the plan — the destinations'
 * buckets (`reconcileBucket`), and the buckets components rely on, which
 * their kinds declare (`Strategy.buckets`: a media bucket and its replica;
 * `reconcileRequirement`); apply then puts what differs. A bucket that cannot
 * be read is reported and the others still run.
 */

type Mode = 'apply' | 'dry-run' | 'check';

/** One bucket in `s3 apply --json` / `s3 check --json`: documented in docs/s3.md. */
interface BucketReport {
  bucket: string;
  destinations: string[];
  /** A bucket a component relies on (not a destination's): the component, and what the bucket is to it (`media bucket`, `media replica`). */
  component?: string;
  role?: string;
  /** apply: changed, unchanged, dry-run; check: ok, drift; both: blocked (the plan contradicts itself), failed. */
  outcome: 'changed' | 'unchanged' | 'dry-run' | 'ok' | 'drift' | 'blocked' | 'failed';
  changes: string[];
  /** Settings apply put (versioning, encryption, publicAccessBlock, objectLock, lifecycle, replication). */
  applied: string[];
  problems: string[];
  notes: string[];
  error?: string;
}

export async function s3ApplyCommand(ctx: CommandContext, names: string[], opts: { dryRun?: boolean; json?: boolean }): Promise<number> {
  return reconcile(ctx, names, opts.dryRun === true ? 'dry-run' : 'apply', opts.json === true);
}

export async function s3CheckCommand(ctx: CommandContext, names: string[], opts: { json?: boolean }): Promise<number> {
  return reconcile(ctx, names, 'check', opts.json === true);
}

/** `lifeboat s3 policy [destination…]`: the IAM policy JSON on stdout (ready for aws iam put-role-policy), notes on stderr. */
export async function s3PolicyCommand(ctx: CommandContext, names: string[]): Promise<number> {
  const plan = await ctx.loadPlan();
  const { iamPolicy, requirementStatements } = await loadS3Sdk();
  // The kinds' own needs (ec2: CreateImage…), for the whole plan only: naming destinations narrows it to them.
  const kinds =
    names.length > 0
      ? []
      : Object.entries(plan.components).flatMap(([component, config]) => ctx.registry.strategy(config.type).iamStatements?.({ planName: plan.name, component, config }) ?? []);
  // A plan whose only AWS use is a kind's (ec2 components, local destinations) still gets their statements.
  const kindsOnly = kinds.length > 0 && names.length === 0 && !Object.values(plan.destinations).some((d) => d.type === 's3');
  const { policy, notes } = kindsOnly ? { policy: { Version: '2012-10-17' as const, Statement: [] }, notes: [] as string[] } : iamPolicy(plan, names);
  for (const own of kinds) {
    policy.Statement.push(...own.statements);
    notes.push(...own.notes);
  }
  // What s3 apply/check need for the buckets components rely on (media buckets), apart like the destinations' apply statement.
  if (names.length === 0) {
    const requirements = Object.entries(plan.components).flatMap(([component, config]) => ctx.registry.strategy(config.type).buckets?.({ component, config }) ?? []);
    policy.Statement.push(...requirementStatements(requirements));
  }
  for (const note of notes) ctx.io.stderr.write(`lifeboat: note: ${note}\n`);
  ctx.io.stdout.write(JSON.stringify(policy, null, 2) + '\n');
  return ExitCode.ok;
}

async function reconcile(ctx: CommandContext, names: string[], mode: Mode, json: boolean): Promise<number> {
  const plan = await ctx.loadPlan();
  const sdk = await loadS3Sdk();
  const { destinations, requirements } = chosen(ctx, plan, names);
  const buckets = destinations === undefined ? [] : sdk.planBuckets(plan, destinations);
  const reports: BucketReport[] = [];
  const report = (r: BucketReport) => {
    reports.push(r);
    if (!json) print(ctx, r, mode);
  };
  for (const desired of buckets) report(await reconcileOne(sdk, desired, mode));
  for (const req of requirements) report(await reconcileRequirementOne(sdk, req, mode));
  if (json) ctx.io.stdout.write(JSON.stringify(reports, null, 2) + '\n');
  return exitCode(reports, mode);
}

/**
 * What the names choose: s3 destinations (their buckets) and components
 * whose kind relies on buckets; none: all of both. `destinations` undefined:
 * no destination bucket at all.
 */
function chosen(ctx: CommandContext, plan: Plan, names: string[]): { destinations?: string[]; requirements: BucketRequirement[] } {
  const requirementsOf = (component: string) => {
    const config = plan.components[component]!;
    return ctx.registry.strategy(config.type).buckets?.({ component, config }) ?? [];
  };
  const withBuckets = Object.keys(plan.components).filter((c) => requirementsOf(c).length > 0);
  const hasS3 = Object.values(plan.destinations).some((d) => d.type === 's3');
  if (names.length === 0) {
    if (!hasS3 && withBuckets.length === 0) throw new UsageError(`${plan.file} has no s3 destinations and no components that rely on buckets (type: s3-bucket)`);
    return { ...(hasS3 ? { destinations: [] } : {}), requirements: withBuckets.flatMap(requirementsOf) };
  }
  const s3Names = Object.values(plan.destinations).filter((d) => d.type === 's3').map((d) => d.name);
  const choices = `name ${[...(s3Names.length > 0 ? [`s3 destinations (${s3Names.join(', ')})`] : []), ...(withBuckets.length > 0 ? [`components that rely on a bucket (${withBuckets.join(', ')})`] : [])].join(' or ') || 's3 destinations'}`;
  const components = names.filter((name) => plan.components[name] !== undefined && plan.destinations[name] === undefined);
  for (const name of names) {
    const destination = plan.destinations[name];
    if (components.includes(name)) {
      if (!withBuckets.includes(name)) throw new UsageError(`component '${name}' is type ${plan.components[name]!.type}, which relies on no bucket of its own; ${choices}`);
    } else if (destination === undefined) throw new UsageError(`${plan.file} has no destination or component '${name}'; ${choices}`);
    else if (destination.type !== 's3') throw new UsageError(`destination '${name}' is type ${destination.type}, not s3; ${choices}`);
  }
  const destinations = names.filter((name) => !components.includes(name));
  return { ...(destinations.length > 0 ? { destinations } : {}), requirements: components.flatMap(requirementsOf) };
}

async function reconcileRequirementOne({ reconcileRequirement, createS3Client }: Awaited<ReturnType<typeof loadS3Sdk>>, req: BucketRequirement, mode: Mode): Promise<BucketReport> {
  const base = { bucket: req.bucket, destinations: [], component: req.component, role: req.role };
  const client = createS3Client({ region: req.region, ...(req.endpoint !== undefined ? { endpoint: req.endpoint } : {}) });
  try {
    const { shortfalls, applied } = await reconcileRequirement(client, req, { dryRun: mode !== 'apply' });
    const changes = shortfalls.flatMap((s) => (s.change !== undefined ? [s.change] : []));
    const problems = shortfalls.flatMap((s) => (s.change === undefined ? [`${s.problem}; ${s.remedy}`] : []));
    const outcome: BucketReport['outcome'] =
      mode === 'check' ? (shortfalls.length > 0 ? 'drift' : 'ok') : changes.length === 0 ? 'unchanged' : mode === 'dry-run' ? 'dry-run' : 'changed';
    return { ...base, outcome, changes, applied, problems, notes: [] };
  } catch (err) {
    return { ...base, outcome: 'failed', changes: [], applied: [], problems: [], notes: [], error: describeError(err) };
  } finally {
    client.destroy();
  }
}

async function reconcileOne(
  { reconcileBucket, bucketClient }: Awaited<ReturnType<typeof loadS3Sdk>>,
  desired: DesiredBucket,
  mode: Mode,
): Promise<BucketReport> {
  const base = { bucket: desired.bucket, destinations: desired.destinations };
  // The plan contradicts itself for this bucket: nothing to compare it with until it is fixed.
  if (desired.problems.length > 0) return { ...base, outcome: 'blocked', changes: [], applied: [], problems: desired.problems, notes: [] };
  let diff: BucketDiff;
  let applied: string[];
  try {
    ({ diff, applied } = await reconcileBucket(bucketClient(desired), desired, { dryRun: mode !== 'apply' }));
  } catch (err) {
    return { ...base, outcome: 'failed', changes: [], applied: [], problems: [], notes: [], error: describeError(err) };
  }
  const changes = diff.changes.map((c) => c.sentence);
  const outcome: BucketReport['outcome'] = diff.blocked
    ? 'blocked'
    : mode === 'check'
      ? changes.length > 0 || diff.problems.length > 0
        ? 'drift'
        : 'ok'
      : changes.length === 0
        ? 'unchanged'
        : mode === 'dry-run'
          ? 'dry-run'
          : 'changed';
  return { ...base, outcome, changes, applied, problems: diff.problems, notes: diff.notes };
}

function print(ctx: CommandContext, report: BucketReport, mode: Mode): void {
  const out = (line: string) => ctx.io.stdout.write(`${line}\n`);
  const url = `s3://${report.bucket}`;
  const who = report.component !== undefined ? `(${report.role} of component ${report.component})` : `(destination${report.destinations.length === 1 ? '' : 's'} ${report.destinations.join(', ')})`;
  if (report.outcome === 'failed') {
    ctx.io.stderr.write(`lifeboat: ${report.error}\n`);
    return;
  }
  if (report.changes.length === 0 && report.problems.length === 0) {
    out(`${url}: ${mode === 'check' ? 'matches the plan' : 'no changes'}`);
    for (const note of report.notes) out(`  note: ${note}`);
    return;
  }
  out(`${url} ${who}:`);
  for (const change of report.changes) out(`  ${change}`);
  for (const problem of report.problems) out(`  problem: ${problem}`);
  for (const note of report.notes) out(`  note: ${note}`);
  const n = report.changes.length;
  const changes = `${n} change${n === 1 ? '' : 's'}`;
  if (report.outcome === 'blocked') out(`  nothing was changed: fix the plan's problems above first`);
  else if (mode === 'apply') out(n === 0 ? '  no changes' : `  applied ${changes}`);
  else if (mode === 'dry-run') out(`  dry run: nothing was changed (${changes} would be made)`);
  else out(`  drift: ${n === 0 ? 'the problems above' : `${changes} to make (lifeboat s3 apply)`}${n > 0 && report.problems.length > 0 ? ', and the problems above' : ''}`);
}

/** failed 1 · the plan contradicts itself 2 · check: drift 3 · apply: problems it could not fix 1. */
function exitCode(reports: BucketReport[], mode: Mode): number {
  if (reports.some((r) => r.outcome === 'failed')) return ExitCode.failed;
  if (reports.some((r) => r.outcome === 'blocked')) return ExitCode.usage;
  if (mode === 'check') return reports.some((r) => r.outcome === 'drift') ? ExitCode.unhealthy : ExitCode.ok;
  return reports.some((r) => r.problems.length > 0) ? ExitCode.failed : ExitCode.ok;
}
