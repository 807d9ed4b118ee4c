import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  CLOCK_SKEW_TOLERANCE_MS,
  decryptStream,
  describeError,
  encryptStream,
  formatBytes,
  formatDuration,
  identitiesFor,
  identityFor,
  isSecretRef,
  longestGapOver,
  manifestBytes,
  nowOf,
  readCatalog,
  readJournal,
  resolveSchedules,
  secretsFor,
  withTimeout,
  worstLevel,
  type CatalogEntry,
  type DoctorCheck,
  type DoctorContext,
  type DoctorLevel,
  type EngineContext,
  type Plan,
  type Repository,
} from '@lifeboat/core';
import { assessStatus, type ComponentStatus } from './status.js';

/** How long one check may take before it counts as critical (a hung server, a stuck mount). */
export const DOCTOR_CHECK_TIMEOUT_MS = 30_000;
/** Clocks further apart than this get a warning; past CLOCK_SKEW_TOLERANCE_MS, backups would be dated in the future: critical. */
export const CLOCK_WARNING_MS = 60_000;
/** Probes live under this prefix of each destination, and are deleted at once. */
export const PROBE_PREFIX = 'doctor/';

export interface DoctorReport {
  /** The JSON's format: bumped when a field changes meaning. */
  version: 1;
  plan: string;
  name: string;
  checkedAt: string;
  status: DoctorLevel;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Each check's deadline (default DOCTOR_CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
}

/**
 * `lifeboat doctor`: can this host back up and restore with this plan right
 * now? Secrets, sources (each strategy's own `doctor`), a write/read/delete
 * probe and the free space and clock of each destination, the age identity,
 * and the catalog and journal against the RPOs and the plan's verify and
 * drill timers. Every check has a deadline; nothing but the probes is
 * written, and they are removed.
 */
export async function runDoctor(ctx: EngineContext, opts: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const timeoutMs = opts.timeoutMs ?? DOCTOR_CHECK_TIMEOUT_MS;
  const bounded = (check: string, work: () => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> =>
    withTimeout(work(), timeoutMs, `no answer within ${formatDuration(timeoutMs)}`).catch((err: unknown) => [{ level: 'critical' as const, check, detail: describeError(err) }]);
  const { plan } = ctx;
  const checks: DoctorCheck[] = [
    { level: 'ok', check: 'plan', detail: `${plan.file} parses: ${Object.keys(plan.components).length} components, ${Object.keys(plan.destinations).length} destinations` },
  ];
  const all = async (groups: Array<Promise<DoctorCheck[]>>) => checks.push(...(await Promise.all(groups)).flat());

  await all(secretRefs(plan).map(({ path, ref }) => bounded(`secret ${path}`, () => secretCheck(ctx, path, ref))));
  await all(Object.keys(plan.components).map((component) => bounded(`source ${component}`, () => sourceChecks(ctx, component))));

  const unreachable = new Map<string, string>();
  let catalog: CatalogEntry[] = [];
  let statuses: ComponentStatus[] | undefined;
  const read = await bounded('catalog', async () => {
    const warnings: string[] = [];
    const [found, journal] = await Promise.all([
      readCatalog(plan, ctx.registry, { onWarning: (m) => warnings.push(m), onUnreachable: (d, reason) => unreachable.set(d, reason) }),
      readJournal(plan, ctx.registry, (m) => warnings.push(m)),
    ]);
    catalog = found;
    statuses = assessStatus(plan, found, journal, nowOf(ctx), unreachable);
    return warnings.map((w) => ({ level: 'warning' as const, check: 'catalog', detail: w }));
  });

  await all(Object.keys(plan.destinations).map((name) => bounded(`destination ${name}`, () => destinationChecks(ctx, name, catalog))));
  await all([bounded('encryption', () => encryptionChecks(ctx))]);
  checks.push(...read);
  if (statuses) checks.push(...statuses.flatMap((s) => statusChecks(ctx, s)));
  return checks;
}

/** The checks as the versioned JSON `doctor --json` prints. */
export function doctorReport(plan: Plan, checks: DoctorCheck[], at: Date): DoctorReport {
  return { version: 1, plan: plan.file, name: plan.name, checkedAt: at.toISOString(), status: worstLevel(checks), checks };
}

/** Every `env:`/`file:` reference in the plan, with where it is written (`components.database.url`). */
export function secretRefs(plan: Plan): Array<{ path: string; ref: string }> {
  const found: Array<{ path: string; ref: string }> = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (isSecretRef(value) || value.startsWith('env:')) found.push({ path, ref: value });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk({ destinations: plan.destinations, encryption: plan.encryption, notify: plan.notify }, '');
  for (const [name, component] of Object.entries(plan.components)) {
    // Hooks are shell commands, not references; `name` and `type` are the plan's own words.
    const { hooks: _hooks, name: _name, type: _type, ...fields } = component;
    walk(fields, `components.${name}`);
  }
  return found;
}

async function secretCheck(ctx: EngineContext, path: string, ref: string): Promise<DoctorCheck[]> {
  const check = `secret ${path}`;
  try {
    await secretsFor(ctx).resolve(ref, path);
    // The reference is the plan's own text; the value is never shown.
    return [{ level: 'ok', check, detail: `${ref} resolves` }];
  } catch (err) {
    return [{ level: 'critical', check, detail: `${describeError(err)}; set it in the unit's environment file (or the file it names)` }];
  }
}

async function sourceChecks(ctx: EngineContext, component: string): Promise<DoctorCheck[]> {
  const entry = ctx.registry.component(ctx.plan, component);
  const strategy = ctx.registry.strategy(entry.type);
  if (!strategy.doctor) return [{ level: 'warning', check: `source ${component}`, detail: `lifeboat cannot check ${entry.type} sources yet; a backup run is the test` }];
  const doctorCtx: DoctorContext<unknown> = {
    component,
    config: entry,
    secrets: secretsFor(ctx),
    planDir: ctx.plan.dir,
    env: ctx.env,
    signal: ctx.signal ?? new AbortController().signal,
    step: () => undefined,
    warn: () => undefined,
    engine: ctx,
  };
  return strategy.doctor(doctorCtx);
}

/** Write, read back, delete and look again: what a backup does, on a few bytes under doctor/. */
async function destinationChecks(ctx: EngineContext, name: string, catalog: CatalogEntry[]): Promise<DoctorCheck[]> {
  const check = `destination ${name}`;
  const repository = ctx.registry.repository(ctx.plan, name);
  const health = repository.adapter.health ? await repository.answered(repository.adapter.health()) : undefined;
  if (health && !health.exists) {
    return [{ level: 'critical', check, detail: `${repository.description} does not exist (removed, or a disk not mounted); nothing was written — mount it or create it (mode 0700), then run lifeboat doctor again` }];
  }
  const checks: DoctorCheck[] = [];
  try {
    const marker = await repository.answered(repository.readMarker());
    if (marker && marker.plan !== ctx.plan.name) {
      return [{ level: 'critical', check, detail: `${repository.description} holds the repository of plan '${marker.plan}', not '${ctx.plan.name}'; give each plan its own path or prefix` }];
    }
    const probe = await probeWrite(repository, identityFor(ctx).host);
    checks.push({
      level: 'ok',
      check,
      detail: `${repository.description}: write, read back and delete of ${probe.key} in ${probe.ms} ms${marker ? '' : '; no backup written here yet (the first one creates lifeboat.json)'}`,
    });
    checks.push(clockCheck(name, repository, probe));
  } catch (err) {
    return [{ level: 'critical', check, detail: `${describeError(err)}; backups to ${name} would fail — fix access to ${repository.adapter.description}` }];
  }
  if (health?.freeBytes !== undefined) checks.push(spaceCheck(ctx, name, health.freeBytes, catalog));
  return checks;
}

interface Probe {
  key: string;
  ms: number;
  /** Local clock just before the write and just after it. */
  before: number;
  after: number;
  /** The time the store gave the object (its own clock, for a remote store). */
  storedAt: number;
}

async function probeWrite(repository: Repository, host: string): Promise<Probe> {
  const key = `${PROBE_PREFIX}probe-${host.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(6).toString('hex')}`;
  const body = randomBytes(64);
  const before = Date.now();
  const started = performance.now();
  await repository.answered(repository.adapter.put(key, Readable.from([body])));
  const after = Date.now();
  try {
    const stored = await repository.answered(repository.adapter.head(key));
    if (!stored) throw new Error(`${key} was written but is not there when looked up`);
    const back = await repository.answered(repository.adapter.get(key).then((s) => buffer(s)));
    if (!back.equals(body)) throw new Error(`${key} read back differs from what was written (${back.length} bytes instead of ${body.length})`);
    return { key, ms: Math.round(performance.now() - started), before, after, storedAt: stored.modifiedAt.getTime() };
  } finally {
    await repository.answered(repository.adapter.delete([key]));
    if (await repository.answered(repository.adapter.head(key))) throw new Error(`${key} is still there after it was deleted`);
  }
}

/** The store's time of the probe against this host's clock around the write (stores keep whole seconds). */
function clockCheck(name: string, repository: Repository, probe: Probe): DoctorCheck {
  const check = `clock ${name}`;
  const skew = probe.storedAt < probe.before - 1000 ? probe.storedAt - probe.before : probe.storedAt > probe.after + 1000 ? probe.storedAt - probe.after : 0;
  const size = Math.abs(skew);
  const way = skew < 0 ? 'behind' : 'ahead of';
  if (size > CLOCK_SKEW_TOLERANCE_MS) {
    return { level: 'critical', check, detail: `${repository.description} is ${formatDuration(size)} ${way} this host's clock: backup times cannot be trusted; fix NTP (timedatectl) on this host` };
  }
  if (size > CLOCK_WARNING_MS) return { level: 'warning', check, detail: `${repository.description} is ${formatDuration(size)} ${way} this host's clock; check NTP (timedatectl)` };
  return { level: 'ok', check, detail: `agrees with this host's clock within ${Math.max(1, Math.ceil(size / 1000))} s` };
}

/** Free space against the latest backup of every component that writes here: the next night's need. */
function spaceCheck(ctx: EngineContext, name: string, freeBytes: number, catalog: CatalogEntry[]): DoctorCheck {
  const check = `space ${name}`;
  const latest = Object.values(ctx.plan.components)
    .filter((c) => c.destinations.includes(name))
    .map((c) => catalog.filter((e) => e.component === c.name && e.destinations.includes(name)).at(-1))
    .filter((e): e is CatalogEntry => e !== undefined);
  if (latest.length === 0) return { level: 'ok', check, detail: `${formatBytes(freeBytes)} free; no backup here yet to compare with` };
  const need = latest.reduce((sum, e) => sum + manifestBytes(e.manifest), 0);
  const detail = `${formatBytes(freeBytes)} free; the latest backups written here take ${formatBytes(need)}`;
  if (freeBytes < need) return { level: 'critical', check, detail: `${detail}: the next backups will not fit — free space, or tighten retention and run lifeboat prune --yes` };
  if (freeBytes < 2 * need) return { level: 'warning', check, detail: `${detail}: room for less than two more; free space or tighten retention` };
  return { level: 'ok', check, detail };
}

/** Encrypts a probe to the plan's recipients and decrypts it with this host's identity: a restore's first step. */
async function encryptionChecks(ctx: EngineContext): Promise<DoctorCheck[]> {
  const check = 'encryption';
  const encryption = ctx.plan.encryption;
  if (!encryption) return [{ level: 'warning', check, detail: 'backups are stored unencrypted; add encryption.recipients (lifeboat keys generate makes a key)' }];
  const identities = identitiesFor(ctx);
  if (!identities) {
    return [{ level: 'warning', check, detail: `no encryption.identity on this host: fine for a host that only backs up; restores, drills and verify --deep need it (keep it offline, not here)` }];
  }
  try {
    const keys = await identities();
    const plain = randomBytes(32);
    const sealed = await buffer(Readable.from([plain]).pipe(await encryptStream(encryption.recipients)));
    const opened = await buffer(Readable.from([sealed]).pipe(decryptStream(keys, 'the doctor probe')));
    if (!opened.equals(plain)) throw new Error('the decrypted probe differs from what was encrypted');
    return [{ level: 'ok', check, detail: `encryption.identity decrypts what is encrypted to the plan's ${encryption.recipients.length} recipient(s)` }];
  } catch (err) {
    return [
      {
        level: 'critical',
        check,
        detail: `${describeError(err)}; restores on this host would fail — put the identity of one of encryption.recipients in ${encryption.identity} (lifeboat keys generate prints a key's recipient)`,
      },
    ];
  }
}

/** What `lifeboat status` says of the component, then its verify and drill against the plan's timers. */
function statusChecks(ctx: EngineContext, status: ComponentStatus): DoctorCheck[] {
  const { component } = status;
  const checks: DoctorCheck[] = [
    status.health === 'ok'
      ? {
          level: 'ok',
          check: `backups ${component}`,
          detail: `last backup ${status.ageMs === undefined ? '' : `${formatDuration(status.ageMs)} ago`}${status.rpoMs === 0 ? ' (on change)' : `, within its RPO of ${formatDuration(status.rpoMs)}`}; 3-2-1 met`,
        }
      : { level: status.health, check: `backups ${component}`, detail: `${status.reasons.join('; ')}; lifeboat status shows the details` },
  ];
  const schedules = resolveSchedules(ctx.plan);
  const now = nowOf(ctx);
  const entry = ctx.plan.components[component]!;
  const late = (what: 'verify' | 'drill', schedule: string, at: string | undefined): DoctorCheck | undefined => {
    if (schedule === 'off') return undefined;
    const check = `${what} ${component}`;
    const command = `lifeboat ${what} ${component}`;
    if (at === undefined) return what === 'verify' ? { level: 'warning', check, detail: `never verified; run ${command} (the verify timer does it daily)` } : undefined;
    // Two periods of the timer and its random delay: one missed run is a warning, not a flap.
    const allowed = 2 * (longestGapOver(schedule, 0, now) ?? 0) + schedules.randomizedDelay;
    const age = now.getTime() - Date.parse(at);
    return age > allowed
      ? { level: 'warning', check, detail: `last ${what} was ${formatDuration(age)} ago, more than twice its timer's interval (${schedule}); is the timer installed? run ${command}` }
      : { level: 'ok', check, detail: `last ${what} ${formatDuration(Math.max(0, age))} ago (timer ${schedule})` };
  };
  const verify = late('verify', schedules.verify.schedule, status.lastVerify?.at);
  if (verify) checks.push(verify);
  // Never drilled and failed drills are in the status line already.
  const drill = entry.drill && status.lastDrill?.ok ? late('drill', schedules.drill.schedule, status.lastDrill.at) : undefined;
  if (drill) checks.push(drill);
  return checks;
}
