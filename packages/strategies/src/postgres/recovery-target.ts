import { UsageError, flagOf } from '@lifeboat/core';

/** Where a restore to a point stops replaying WAL: one of PostgreSQL's recovery targets. */
export type RecoveryTarget =
  /** `at` for comparisons (milliseconds); `text` as PostgreSQL is given it (microseconds kept). */
  | { kind: 'time'; at: Date; text: string }
  | { kind: 'lsn'; lsn: string }
  | { kind: 'xid'; xid: string }
  | { kind: 'name'; name: string }
  /** The end of the WAL archive (no recovery_target_*). */
  | { kind: 'latest' }
  /** As soon as the base backup is consistent. */
  | { kind: 'immediate' };

/** The restore options that ask for a point (exactly one). */
export interface PointOptions {
  toTime?: string;
  toLsn?: string;
  toXid?: string;
  toName?: string;
  toLatest?: boolean;
  toImmediate?: boolean;
}

export const POINT_FLAGS = ['toTime', 'toLsn', 'toXid', 'toName', 'toLatest', 'toImmediate'] as const;

/** `YYYY-MM-DD HH:MM[:SS[.frac]]` (or with `T`), then a zone: Z, UTC, +HH, +HHMM, +HH:MM. */
const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/i;
const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/** Which point the request asks for; undefined when it asks for none (a dump restore). Bad input: one sentence, exit 2. */
export function recoveryTargetOf(options: PointOptions): RecoveryTarget | undefined {
  const given = POINT_FLAGS.filter((name) => options[name] !== undefined && options[name] !== false);
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new UsageError(`${given.map(flagOf).join(' and ')} both name the point to restore to; give exactly one`);
  if (options.toLatest) return { kind: 'latest' };
  if (options.toImmediate) return { kind: 'immediate' };
  if (options.toTime !== undefined) return { kind: 'time', ...parseTargetTime(options.toTime) };
  if (options.toLsn !== undefined) {
    const lsn = options.toLsn.trim();
    if (!LSN.test(lsn)) throw new UsageError(`--to-lsn "${options.toLsn}" is not a WAL location; expected two hex numbers such as 0/5000060 (as pg_current_wal_lsn() prints)`);
    return { kind: 'lsn', lsn: normalLsn(lsn) };
  }
  if (options.toXid !== undefined) {
    const xid = options.toXid.trim();
    if (!/^\d+$/.test(xid) || BigInt(xid) < 3n || BigInt(xid) > 0xffffffffn) {
      throw new UsageError(`--to-xid "${options.toXid}" is not a transaction id; expected a whole number such as 7421 (as txid_current() prints)`);
    }
    return { kind: 'xid', xid };
  }
  const name = options.toName!;
  if (name.trim() === '' || Buffer.byteLength(name) > 63 || /[\r\n]/.test(name)) {
    throw new UsageError(`--to-name "${name}" is not a restore point name; expected the name given to pg_create_restore_point() (1 to 63 bytes)`);
  }
  return { kind: 'name', name };
}

/** A target time must carry its zone: the same wall-clock time is a different instant on each host. */
export function parseTargetTime(text: string): { at: Date; text: string } {
  const m = TIME.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `--to-time "${text}" is not a time with a zone; expected such as "2026-02-14 12:00:00+00" or 2026-02-14T12:00:00Z (the zone is required)`,
    );
  }
  const zone = /^(Z|UTC|GMT)$/i.test(m[8]!) ? 'Z' : m[8]!.length === 3 ? `${m[8]}:00` : m[8]!.includes(':') ? m[8]! : `${m[8]!.slice(0, 3)}:${m[8]!.slice(3)}`;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${(m[7] ?? '').slice(0, 4)}${zone}`);
  const calendar = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(at.getTime()) || calendar.getUTCDate() !== Number(m[3]) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) {
    throw new UsageError(`--to-time "${text}" is not a real calendar time; expected such as "2026-02-14 12:00:00+00"`);
  }
  return { at, text: `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${zone === 'Z' ? '+00:00' : zone}` };
}

/** `0/5000060` as PostgreSQL prints it: upper-case hex without leading zeros. */
export function normalLsn(lsn: string): string {
  const [hi, lo] = lsn.split('/');
  return `${parseInt(hi!, 16).toString(16).toUpperCase()}/${parseInt(lo!, 16).toString(16).toUpperCase()}`;
}

export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** `--to-time "…"`, for messages. */
export function describeTarget(target: RecoveryTarget): string {
  switch (target.kind) {
    case 'time':
      return `time ${target.at.toISOString()}`;
    case 'lsn':
      return `LSN ${target.lsn}`;
    case 'xid':
      return `transaction ${target.xid}`;
    case 'name':
      return `restore point "${target.name}"`;
    case 'latest':
      return 'the end of the WAL archive';
    case 'immediate':
      return 'the end of the base backup (consistent, nothing more)';
  }
}

/** The postgresql.auto.conf lines for the target; recovery then promotes (a server ready for use, on a new timeline). */
export function recoverySettings(target: RecoveryTarget): Record<string, string> {
  const stop: Record<string, string> =
    target.kind === 'time'
      ? { recovery_target_time: target.text }
      : target.kind === 'lsn'
        ? { recovery_target_lsn: target.lsn }
        : target.kind === 'xid'
          ? { recovery_target_xid: target.xid }
          : target.kind === 'name'
            ? { recovery_target_name: target.name }
            : target.kind === 'immediate'
              ? { recovery_target: 'immediate' }
              : {};
  return { ...stop, recovery_target_timeline: 'latest', ...(target.kind === 'latest' ? {} : { recovery_target_action: 'promote' }) };
}
