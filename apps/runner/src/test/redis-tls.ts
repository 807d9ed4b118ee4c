import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A fresh self-signed certificate for `localhost` and 127.0.0.1 (P-256), made
 * with the stock openssl for a TLS redis-server in tests — so no private key
 * ever sits in the repository.
 */
export async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string; certPem: string }> {
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  return { cert, key, certPem: await readFile(cert, 'utf8') };
}
