import { describe, expect, test } from './index.js';

describe('the s3 fixture', () => {
  test('is s3rver on loopback; each bucket() is a new empty bucket', async ({ s3 }) => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [a, b] = [await s3.bucket(), await s3.bucket('named-bucket')];
    expect(a).toMatch(/^lifeboat-[0-9a-f]{12}$/);
    expect(b).toBe('named-bucket');
    const listing = await (await fetch(`${s3.endpoint}/${a}?list-type=2`)).text();
    expect(listing).toContain('<KeyCount>0</KeyCount>');
    expect(s3.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
  });
});
