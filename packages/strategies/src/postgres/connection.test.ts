import { describe, expect, it } from 'vitest';
import { pgTarget, quoteQualified, withDatabase } from './connection.js';
import { checkDumpVersion, serverMajor } from './tools.js';

describe('pgTarget', () => {
  it('moves the password into the child environment and keeps it out of the display name', () => {
    const target = pgTarget('postgres://civicq:s3cret@db.internal:5433/civicq?sslmode=require', 'components.database.url');
    expect(target.display).toBe('postgres://civicq@db.internal:5433/civicq');
    expect(target.childEnv).toEqual({
      PGHOST: 'db.internal',
      PGPORT: '5433',
      PGUSER: 'civicq',
      PGDATABASE: 'civicq',
      PGAPPNAME: 'lifeboat',
      PGPASSWORD: 's3cret',
      PGSSLMODE: 'require',
    });
  });

  it('defaults the port and user, and needs a database', () => {
    expect(pgTarget('postgres://db/civicq', 'f').childEnv).toMatchObject({ PGPORT: '5432', PGUSER: 'postgres' });
    expect(() => pgTarget('postgres://db:5432', 'components.database.url')).toThrow(
      'components.database.url names no database (expected postgres://user@host:5432/database)',
    );
    expect(() => pgTarget('mysql://db/civicq', '--to')).toThrow('--to is not a PostgreSQL URL');
  });

  it('points at another database on the same server, keeping credentials', () => {
    const admin = withDatabase(pgTarget('postgres://u:p%40ss@h:1/app', 'f'), 'postgres');
    expect(admin.database).toBe('postgres');
    expect(admin.childEnv.PGPASSWORD).toBe('p@ss');
  });

  it('quotes qualified names part by part', () => {
    expect(quoteQualified('Ärger.Tabelle mit "Leerzeichen"')).toBe('"Ärger"."Tabelle mit ""Leerzeichen"""');
  });
});

describe('pg_dump version check', () => {
  it('reads majors from server_version_num', () => {
    expect(serverMajor(150018)).toBe(15);
    expect(serverMajor(170002)).toBe(17);
  });

  it('refuses an older pg_dump with the fix in the sentence, accepts same or newer', () => {
    expect(() => checkDumpVersion(14, '15.18 (Debian 15.18-0+deb12u1)', 15, '/usr/lib/postgresql/14/bin')).toThrow(
      'pg_dump 14 in /usr/lib/postgresql/14/bin is older than the PostgreSQL 15.18 server; install the version 15 client tools or set binDir to them',
    );
    expect(() => checkDumpVersion(15, '15.18', 15, undefined)).not.toThrow();
    expect(() => checkDumpVersion(16, '15.18', 15, undefined)).not.toThrow();
  });
});
