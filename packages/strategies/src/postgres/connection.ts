import { UsageError } from '@lifeboat/core';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { sessionOptions } from './session-options.js';

/** A resolved PostgreSQL address: how to reach it, and how to name it without secrets. */
export interface PgTarget {
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** `postgres://user@host:port/db` — safe for logs and manifests. */
  display: string;
  /** PG* variables for child processes; the password travels here, never in argv. */
  childEnv: Record<string, string>;
}

export function pgTarget(url: string, field: string): PgTarget {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url);
  } catch {
    throw new UsageError(`${field} is not a PostgreSQL URL (expected postgres://user@host:5432/database)`);
  }
  if (!/^postgres(ql)?:\/\//.test(url) && !url.startsWith('socket:')) {
    throw new UsageError(`${field} is not a PostgreSQL URL (expected postgres://user@host:5432/database)`);
  }
  // The parser gives '' for parts the URL leaves out.
  const host = parsed.host || 'localhost';
  const port = Number(parsed.port || 5432);
  const user = parsed.user || 'postgres';
  const database = parsed.database || '';
  if (!database) throw new UsageError(`${field} names no database (expected postgres://user@host:5432/database)`);
  const childEnv: Record<string, string> = { PGHOST: host, PGPORT: String(port), PGUSER: user, PGDATABASE: database, PGAPPNAME: 'lifeboat' };
  if (parsed.password) childEnv.PGPASSWORD = parsed.password;
  const sslmode = new URL(url.replace(/^postgres(ql)?:/, 'http:')).searchParams.get('sslmode');
  if (sslmode) childEnv.PGSSLMODE = sslmode;
  return { url, host, port, user, database, display: `postgres://${user}@${host}:${port}/${database}`, childEnv };
}

/** The same server, another database (for CREATE/DROP DATABASE). */
export function withDatabase(target: PgTarget, database: string): PgTarget {
  const url = new URL(target.url.replace(/^postgres(ql)?:/, 'http:'));
  url.pathname = `/${encodeURIComponent(database)}`;
  return pgTarget(url.toString().replace(/^http:/, 'postgres:'), 'database URL');
}

/** A client with errors turned into sentences that name the server, never the password; `settings` are the session's. */
export async function connect(target: PgTarget, settings: Record<string, string> = {}): Promise<pg.Client> {
  const options = sessionOptions(settings);
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 15_000, application_name: 'lifeboat', ...(options ? { options } : {}) });
  client.on('error', () => {
    // A dropped connection surfaces as a failed query; this only keeps node from crashing.
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(err, target);
  }
  return client;
}

export function connectionError(err: unknown, target: PgTarget): Error {
  const e = err as { code?: string; message?: string };
  const where = `${target.host}:${target.port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return new Error(`could not connect to PostgreSQL at ${where}: connection refused (is the server running?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`could not connect to PostgreSQL at ${where}: host not found`);
    case '28P01':
      return new Error(`PostgreSQL at ${where} rejected the password for user ${target.user}`);
    case '28000':
      return new Error(`PostgreSQL at ${where} refused user ${target.user} (no pg_hba.conf entry or role missing)`);
    case '3D000':
      return new Error(`database ${target.database} does not exist on PostgreSQL at ${where}`);
    default:
      if (/timeout/i.test(e.message ?? '')) return new Error(`could not connect to PostgreSQL at ${where}: timed out`);
      return new Error(`PostgreSQL at ${where}: ${e.message ?? String(err)}`);
  }
}

/** `schema.table` or `table` → a quoted identifier. */
export function quoteQualified(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
