import { hostname, userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { describeError } from '../errors.js';
import type { Operation } from '../events.js';
import type { Plan } from '../plan/types.js';
import { idTime } from '../repository/ids.js';
import type { Repository } from '../repository/repository.js';

export const RUN_RECORD_FORMAT = 1;

/** One component's part in a run. */
export interface RunComponentRecord {
  component: string;
  outcome: 'ok' | 'unchanged' | 'failed' | 'locked';
  backupId?: string;
  error?: string;
  durationMs: number;
  /** Operation-specific figures: a drill's `rtoActualMs` and checks, a verify's damaged count… */
  details?: Record<string, unknown>;
}

/**
 * What happened in one run (backup, restore, verify, drill, prune), kept in
 * the repository itself under `runs/` so that status, history and the TUI
 * read the same facts from any machine.
 */
export interface RunRecord {
  format: typeof RUN_RECORD_FORMAT;
  id: string;
  operation: Operation;
  plan: string;
  host: string;
  /** Who ran it (absent in records written before Lifeboat recorded it). */
  user?: string;
  toolVersion: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  components: RunComponentRecord[];
}

export function runKey(id: string): string {
  const at = idTime(id);
  const yyyy = at ? String(at.getUTCFullYear()) : '0000';
  const mm = at ? String(at.getUTCMonth() + 1).padStart(2, '0') : '00';
  return `runs/${yyyy}/${mm}/${id}.json`;
}

/** Who runs an operation and where: what a journal record names. */
export interface Identity {
  user: string;
  host: string;
}

/**
 * This process's identity: the person behind sudo when there is one (the
 * login a record should name), else the user the environment or the system
 * names.
 */
export function identityOf(env: Readonly<Record<string, string | undefined>>): Identity {
  return { user: env.SUDO_USER || env.USER || env.LOGNAME || systemUser(), host: hostname() };
}

function systemUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

export function runRecord(fields: Omit<RunRecord, 'format' | 'host' | 'user'>, identity?: Identity): RunRecord {
  return { format: RUN_RECORD_FORMAT, host: identity?.host ?? hostname(), ...(identity ? { user: identity.user } : {}), ...fields };
}

/**
 * Writes the record to every repository given. A journal that cannot be
 * written never fails the run it describes; the caller is told why.
 */
export async function writeRunRecord(repositories: Repository[], record: RunRecord, onWarning: (message: string) => void): Promise<void> {
  const body = Buffer.from(JSON.stringify(record, null, 2) + '\n');
  for (const repository of repositories) {
    try {
      await repository.answered(repository.adapter.put(runKey(record.id), Readable.from([body])));
    } catch (err) {
      onWarning(`could not write run record ${record.id} to ${repository.description}: ${describeError(err)}`);
    }
  }
}

/**
 * Every run record found in the plan's destinations, merged by id, oldest
 * first. `registry` is anything that opens a destination (the engine's Registry).
 */
export async function readJournal(plan: Plan, registry: { repository(plan: Plan, name: string): Repository }, onWarning?: (message: string) => void): Promise<RunRecord[]> {
  const byId = new Map<string, RunRecord>();
  for (const name of Object.keys(plan.destinations)) {
    const repository = registry.repository(plan, name);
    try {
      for await (const object of repository.adapter.list('runs/')) {
        if (!object.key.endsWith('.json')) continue;
        const id = object.key.split('/').at(-1)!.replace(/\.json$/, '');
        if (byId.has(id)) continue;
        const chunks: Buffer[] = [];
        for await (const chunk of await repository.adapter.get(object.key)) chunks.push(chunk as Buffer);
        try {
          const record = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RunRecord;
          if (record.format === RUN_RECORD_FORMAT) byId.set(id, record);
        } catch {
          onWarning?.(`skipping ${object.key} in ${repository.description}: not valid JSON`);
        }
      }
    } catch (err) {
      onWarning?.(`cannot read the run journal in ${repository.description}: ${describeError(err)}`);
    }
  }
  return [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
}
