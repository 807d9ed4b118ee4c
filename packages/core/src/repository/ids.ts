import { randomBytes } from 'node:crypto';

/**
 * Backup and run ids sort by time as plain strings: `20260214T020000Z-3f9a1c`.
 * The random suffix keeps two backups started in the same second apart.
 */
const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{6}$/;

export function newId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The time encoded in an id (second precision). */
export function idTime(id: string): Date | undefined {
  const m = ID_PATTERN.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}
