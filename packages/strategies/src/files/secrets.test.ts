import { describe, expect, test } from 'vitest';
import { secretLookingPaths, secretsWarning } from './secrets.js';

const file = (absolute: string) => ({ absolute, type: 'file' });

describe('secret-looking paths', () => {
  test('finds env files, keys and certificates by name, and ssl/secrets folders once', () => {
    const found = secretLookingPaths([
      file('/opt/civicq/backend/.env.production'),
      file('/opt/civicq/docker-compose.production.yml'),
      { absolute: '/opt/civicq/nginx/ssl', type: 'directory' },
      file('/opt/civicq/nginx/ssl/civicq.pem'),
      file('/opt/civicq/nginx/ssl/civicq.key'),
      file('/home/deploy/.ssh/id_ed25519'),
      file('/srv/app/tls.p12'),
      file('/srv/app/environment.txt'),
      file('/run/secrets/db_password'),
      { absolute: '/srv/app/keys.key', type: 'directory' },
    ]);
    expect(found).toEqual(['/opt/civicq/backend/.env.production', '/opt/civicq/nginx/ssl/', '/home/deploy/.ssh/', '/srv/app/tls.p12', '/run/secrets/']);
  });

  test('the warning names up to three paths and says the archive is unencrypted', () => {
    expect(secretsWarning([])).toBeUndefined();
    const one = secretsWarning(['/opt/civicq/backend/.env.production'])!;
    expect(one).toContain('1 archived path looks like secrets (/opt/civicq/backend/.env.production)');
    expect(one).toContain('stored unencrypted');
    const many = secretsWarning(['/a/.env', '/b/x.key', '/c/ssl/', '/d/y.pem', '/e/z.p12'])!;
    expect(many).toContain('5 archived paths look like secrets (/a/.env, /b/x.key, /c/ssl/ and 2 more)');
  });
});
