import { UsageError, type Manifest, type RestoreRequest } from '@lifeboat/core';
import { describe, expect, test } from 'vitest';
import { parseAsOf, parseTableName, pickTableBackup, restoredSchemaName, tableRequest } from './request.js';

const request = (options: Record<string, unknown>, more: Partial<RestoreRequest> = {}): RestoreRequest => ({ clean: false, yes: false, options, ...more });
const manifest = (id: string, finishedAt: string, facts: Record<string, unknown> = { format: 'custom' }) =>
  ({ id, startedAt: finishedAt, finishedAt, facts }) as unknown as Manifest;

describe('table-level restore requests', () => {
  test('--as-of needs a zone; both ISO and PostgreSQL spellings are read', () => {
    expect(parseAsOf('2026-02-14T12:00:00Z').toISOString()).toBe('2026-02-14T12:00:00.000Z');
    expect(parseAsOf('2026-02-14 12:00:00+00').toISOString()).toBe('2026-02-14T12:00:00.000Z');
    expect(parseAsOf('2026-02-14 14:30:00+0230').toISOString()).toBe('2026-02-14T12:00:00.000Z');
    expect(parseAsOf('2026-02-14T13:00:00+01:00').toISOString()).toBe('2026-02-14T12:00:00.000Z');
    for (const local of ['2026-02-14 12:00:00', '2026-02-14T12:00', 'yesterday', '2026-02-14']) {
      expect(() => parseAsOf(local)).toThrow(/has no time zone/);
    }
    expect(() => parseAsOf('2026-02-31T12:00:00Z')).toThrow(UsageError);
  });

  test('table names: schema.table, or a table in public', () => {
    expect(parseTableName('users')).toEqual({ schema: 'public', name: 'users', display: 'public.users' });
    expect(parseTableName('billing.Invoice Lines')).toEqual({ schema: 'billing', name: 'Invoice Lines', display: 'billing.Invoice Lines' });
    expect(() => parseTableName('.users')).toThrow(/is not a table name/);
  });

  test('refuses what does not go together, before anything is read', () => {
    expect(tableRequest(request({}))).toBeUndefined();
    expect(() => tableRequest(request({ into: 'env:X' }))).toThrow('--into belongs to a table-level restore');
    expect(() => tableRequest(request({ table: ['users'] }))).toThrow(/--table needs --into/);
    expect(() => tableRequest(request({ table: ['users'], into: 'env:X' }, { target: 'env:Y' }))).toThrow(/--to is for whole-database restores/);
    expect(() => tableRequest(request({ table: ['users'], into: 'env:X' }, { clean: true }))).toThrow(/--clean is not taken/);
    expect(() => tableRequest(request({ table: ['users'], into: 'env:X', copyMissingRows: true }))).toThrow(/add --yes/);
    expect(() => tableRequest(request({ table: ['a.users', 'b.users'], into: 'env:X' }))).toThrow(/would both be restored as users/);
    expect(tableRequest(request({ table: ['users'], into: 'env:X', copyMissingRows: true }, { yes: true }))).toMatchObject({ copyMissingRows: true, into: 'env:X' });
  });

  test('--as-of picks the newest backup with a custom dump that finished before it', () => {
    const backups = [
      manifest('a', '2026-02-13T02:00:00Z'),
      manifest('b', '2026-02-14T02:00:00Z'),
      manifest('c', '2026-02-14T03:00:00Z', { baseBackup: {} }),
      manifest('d', '2026-02-14T04:00:00Z', { format: 'plain' }),
      manifest('e', '2026-02-15T02:00:00Z'),
    ];
    const pick = (options: Record<string, unknown>, backupId?: string) => pickTableBackup(backups, request({ table: ['users'], into: 'env:X', ...options }), backupId)?.id;
    expect(pick({ asOf: '2026-02-14T12:00:00Z' })).toBe('b');
    expect(pick({ asOf: '2026-02-14T02:00:00Z' })).toBe('a');
    expect(pick({})).toBe('e');
    expect(pick({}, 'a')).toBeUndefined();
    expect(() => pick({ asOf: '2026-02-14T12:00:00Z' }, 'a')).toThrow(/--as-of and --backup both choose/);
    expect(() => pick({ asOf: '2026-01-01T00:00:00Z' })).toThrow(/no complete backup with a dump finished before 2026-01-01T00:00:00.000Z; the oldest, a, finished at/);
    // A whole-database restore is the engine's choice.
    expect(pickTableBackup(backups, request({}), undefined)).toBeUndefined();
  });

  test('the restored schema is named for the --as-of time, else the backup time', () => {
    const m = manifest('b', '2026-02-14T02:00:00.123Z');
    expect(restoredSchemaName(m, undefined)).toBe('lifeboat_restored_20260214t020000z');
    expect(restoredSchemaName(m, new Date('2026-02-14T11:59:00Z'))).toBe('lifeboat_restored_20260214t115900z');
  });
});
