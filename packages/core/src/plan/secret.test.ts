import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { createSecretResolver, hidePassword, holdsPassword, isSecretRef, secretRef } from './secret.js';

describe('isSecretRef and secretRef()', () => {
  it.each(['env:DATABASE_URL', 'env:_x1', 'file:/etc/lifeboat/age.key', 'file:secrets/db.url'])('%s is a reference', (value) => {
    expect(isSecretRef(value)).toBe(true);
    expect(secretRef().safeParse(value).success).toBe(true);
  });

  it.each(['postgres://db/civicq', 'env:', 'env:1BAD', 'env:A-B', 'file:', 'ENV:X', 'hunter2'])('%s is not', (value) => {
    expect(isSecretRef(value)).toBe(false);
    expect(secretRef().safeParse(value).success).toBe(false);
  });

  it('refuses a non-string', () => {
    expect(secretRef().safeParse(12345).success).toBe(false);
  });
});

describe('createSecretResolver', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-secret-'));
    await writeFile(path.join(dir, 'one-newline'), 's3cr3t\n');
    await writeFile(path.join(dir, 'two-newlines'), 's3cr3t\n\n');
    await writeFile(path.join(dir, 'crlf'), 's3cr3t\r\n');
    await mkdir(path.join(dir, 'secrets'));
    await writeFile(path.join(dir, 'secrets', 'db.url'), 'postgres://app:pw@db/civicq');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const resolver = () => createSecretResolver({ env: { DATABASE_URL: 'postgres://app:pw@db/civicq', EMPTY: '' }, planDir: dir });

  it('reads an environment variable', async () => {
    await expect(resolver().resolve('env:DATABASE_URL', 'components.database.url')).resolves.toBe('postgres://app:pw@db/civicq');
  });

  it('says which field refers to an unset variable', async () => {
    await expect(resolver().resolve('env:REDIS_URL', 'components.redis.url')).rejects.toThrow(
      new UsageError('components.redis.url refers to env:REDIS_URL, which is not set'),
    );
  });

  it('looks only at the variables given, not at what every object inherits', async () => {
    await expect(resolver().resolve('env:constructor', 'f')).rejects.toThrow('f refers to env:constructor, which is not set');
  });

  it('refuses an empty variable', async () => {
    await expect(resolver().resolve('env:EMPTY', 'components.redis.url')).rejects.toThrow('components.redis.url refers to env:EMPTY, which is empty');
  });

  it('refuses a malformed env reference rather than using it as a literal', async () => {
    await expect(resolver().resolve('env:1BAD', 'f')).rejects.toThrow(UsageError);
  });

  it('reads a file, dropping one trailing newline', async () => {
    const r = resolver();
    await expect(r.resolve(`file:${path.join(dir, 'one-newline')}`, 'f')).resolves.toBe('s3cr3t');
    await expect(r.resolve(`file:${path.join(dir, 'two-newlines')}`, 'f')).resolves.toBe('s3cr3t\n');
    await expect(r.resolve(`file:${path.join(dir, 'crlf')}`, 'f')).resolves.toBe('s3cr3t');
  });

  it('resolves a relative file against the plan folder', async () => {
    await expect(resolver().resolve('file:secrets/db.url', 'f')).resolves.toBe('postgres://app:pw@db/civicq');
  });

  it('names the field and path of an unreadable file, and nothing else', async () => {
    const missing = path.join(dir, 'missing.key');
    await expect(resolver().resolve(`file:${missing}`, 'encryption.identity')).rejects.toThrow(
      new UsageError(`encryption.identity refers to file:${missing}, which cannot be read: it does not exist`),
    );
    await expect(resolver().resolve('file:secrets', 'components.database.url')).rejects.toThrow(
      new UsageError(`components.database.url refers to file:secrets (${path.join(dir, 'secrets')}), which cannot be read: it is a folder`),
    );
  });

  it('returns a value that is not a reference unchanged', async () => {
    await expect(resolver().resolve('postgres://db/civicq', 'f')).resolves.toBe('postgres://db/civicq');
  });

  it('reads nothing until asked', async () => {
    // Creating a resolver over missing files and unset variables must not fail.
    expect(() => createSecretResolver({ env: {}, planDir: '/nonexistent' })).not.toThrow();
  });
});

describe('hidePassword', () => {
  it.each([
    ['postgres://app:hunter2@db:5432/civicq', 'postgres://app:***@db:5432/civicq'],
    ['redis://:hunter2@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['postgres://app:p@ss@db/civicq', 'postgres://app:***@db/civicq'],
    ['postgres://app@db/civicq?sslmode=require&password=hunter2', 'postgres://app@db/civicq?sslmode=require&password=***'],
    ['https://user:tok@example.com', 'https://user:***@example.com'],
  ])('%s → %s', (value, hidden) => {
    expect(hidePassword(value)).toBe(hidden);
    expect(holdsPassword(value)).toBe(true);
  });

  it.each(['postgres://app@db/civicq', 'postgres://app:@db/civicq', 'http://staging:8080/health', 'https://registry:4873/@scope/pkg', 'env:DATABASE_URL', 'user:pw@host'])(
    '%s holds no password',
    (value) => {
      expect(hidePassword(value)).toBe(value);
      expect(holdsPassword(value)).toBe(false);
    },
  );
});
