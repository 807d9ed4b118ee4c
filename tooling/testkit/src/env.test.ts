import { describe, expect, test } from 'vitest';
import { parseExternalS3, parseServiceMode, readTestkitEnv } from './env.js';

describe('LIFEBOAT_TEST_SERVICES', () => {
  test('unset or auto means: containers when a runtime answers, else local', () => {
    expect(parseServiceMode(undefined)).toBe('auto');
    expect(parseServiceMode('')).toBe('auto');
    expect(parseServiceMode('auto')).toBe('auto');
  });

  test('forces containers or local, whatever the case', () => {
    expect(parseServiceMode('containers')).toBe('containers');
    expect(parseServiceMode(' Local ')).toBe('local');
  });

  test('anything else is an error naming the variable and the choices', () => {
    expect(() => parseServiceMode('docker')).toThrow(
      'LIFEBOAT_TEST_SERVICES is "docker"; expected containers, local or auto (or unset)',
    );
  });

  test('the PATH is passed on for finding local binaries', () => {
    expect(readTestkitEnv({ PATH: '/a:/b', LIFEBOAT_TEST_SERVICES: 'local' })).toEqual({
      services: 'local',
      path: '/a:/b',
    });
  });
});

describe('LIFEBOAT_TEST_S3_*', () => {
  test('unset means s3rver only', () => {
    expect(parseExternalS3({})).toBeUndefined();
    expect(parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: ' ' })).toBeUndefined();
  });

  test('an endpoint and a bucket name a store; the region falls back to AWS_REGION, then us-east-1', () => {
    const endpoint = 'http://127.0.0.1:9000';
    expect(parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: endpoint, LIFEBOAT_TEST_S3_BUCKET: 'ci' })).toEqual({
      endpoint,
      bucket: 'ci',
      region: 'us-east-1',
    });
    expect(parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: endpoint, LIFEBOAT_TEST_S3_BUCKET: 'ci', AWS_REGION: 'eu-west-1' })).toMatchObject({
      region: 'eu-west-1',
    });
    expect(
      parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: endpoint, LIFEBOAT_TEST_S3_BUCKET: 'ci', AWS_REGION: 'eu-west-1', LIFEBOAT_TEST_S3_REGION: 'us-west-2' }),
    ).toMatchObject({ region: 'us-west-2' });
  });

  test('half a setting is an error naming the missing variable', () => {
    expect(() => parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      'LIFEBOAT_TEST_S3_ENDPOINT is set, so LIFEBOAT_TEST_S3_BUCKET must name a bucket the tests may write to',
    );
    expect(() => parseExternalS3({ LIFEBOAT_TEST_S3_BUCKET: 'ci' })).toThrow(
      'LIFEBOAT_TEST_S3_BUCKET is set, but LIFEBOAT_TEST_S3_ENDPOINT is not; set both, or neither',
    );
    expect(() => parseExternalS3({ LIFEBOAT_TEST_S3_ENDPOINT: '127.0.0.1:9000', LIFEBOAT_TEST_S3_BUCKET: 'ci' })).toThrow(
      'LIFEBOAT_TEST_S3_ENDPOINT is "127.0.0.1:9000"; expected an http or https URL such as http://127.0.0.1:9000',
    );
  });
});
