import { describe, expect, test } from 'vitest';
import { parseServiceMode, readTestkitEnv } from './env.js';

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
