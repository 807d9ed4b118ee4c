import { describe, expect, it } from 'vitest';
import { findByTokenCommand, launchToken, mayHaveLaunched } from './launch-token.js';

describe('a launch\'s ClientToken', () => {
  it('is the backup id and a nonce of this launch, within EC2\'s 64 ASCII characters', () => {
    expect(launchToken('20260214T040000Z-a1b2c3', '5f0e9d2c')).toBe('20260214T040000Z-a1b2c3-5f0e9d2c');
    const long = launchToken('x'.repeat(80), '5f0e9d2c');
    expect(long).toHaveLength(64);
    expect(long.endsWith('-5f0e9d2c')).toBe(true);
    // Two launches of one backup are two instances.
    expect(launchToken('20260214T040000Z-a1b2c3')).not.toBe(launchToken('20260214T040000Z-a1b2c3'));
    expect(launchToken('20260214T040000Z-a1b2c3')).toMatch(/^20260214T040000Z-a1b2c3-[0-9a-f]{8}$/);
  });

  it('finds the instance with the aws line a person can run', () => {
    expect(findByTokenCommand('us-west-2', 'tok-1')).toBe('aws ec2 describe-instances --region us-west-2 --filters Name=client-token,Values=tok-1');
  });

  it('a launch may have happened when cancelled, when no answer came, or when EC2 failed with 5xx; not when EC2 answered an error code', () => {
    const live = new AbortController().signal;
    const cancelled = AbortSignal.abort();
    const ec2 = (code: string, status: number) => Object.assign(new Error(code), { name: code, $metadata: { httpStatusCode: status } });
    expect(mayHaveLaunched(ec2('InsufficientInstanceCapacity', 500), cancelled)).toBe(true);
    expect(mayHaveLaunched(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), live)).toBe(true);
    expect(mayHaveLaunched(ec2('InternalError', 500), live)).toBe(true);
    expect(mayHaveLaunched(ec2('InsufficientInstanceCapacity', 400), live)).toBe(false);
    expect(mayHaveLaunched(ec2('UnauthorizedOperation', 403), live)).toBe(false);
  });
});
