/**
 * A throwaway S3-protocol server — s3rver (npm) on 127.0.0.1, a free port and
 * a temporary folder — for the demo and the tests. It runs in a child process
 * so that its CPU and memory are not the caller's (the storage contract
 * measures its own memory), and the child exits when its stdin closes, so a
 * killed run leaves no server behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const REGION = 'us-east-1';

export interface EphemeralS3 {
  /** `http://127.0.0.1:<port>`; buckets are addressed in the path (forcePathStyle). */
  endpoint: string;
  region: typeof REGION;
  accessKeyId: typeof ACCESS_KEY_ID;
  secretAccessKey: typeof SECRET_ACCESS_KEY;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * S3Client settings for this server. The checksum settings matter to
   * streamed request bodies: with the SDK's default (WHEN_SUPPORTED) they are
   * sent aws-chunked with a trailing checksum, and s3rver stores that framing
   * as if it were the object's bytes.
   */
  clientConfig: {
    region: typeof REGION;
    endpoint: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
    requestChecksumCalculation: 'WHEN_REQUIRED';
    responseChecksumValidation: 'WHEN_REQUIRED';
  };
  /** The same for child processes (the `lifeboat` CLI): AWS_* variables the SDK reads. */
  env: Record<string, string>;
  /** Creates a fresh empty bucket (a random name unless given) and returns its name. */
  bucket(name?: string): Promise<string>;
  /** The server's process, for tests that kill it mid-request. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs s3rver and waits until it listens; call `stop()` when done. Its data
 * lives in a temp folder under `parent` (default: the system's temp folder).
 */
export async function startEphemeralS3(opts: { parent?: string } = {}): Promise<EphemeralS3> {
  const directory = await mkdtemp(path.join(opts.parent ?? os.tmpdir(), 'lifeboat-s3rver-'));
  let server: Server;
  try {
    server = await runServer(directory);
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${server.port}`;
  const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
  return {
    endpoint,
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    credentials,
    clientConfig: {
      region: REGION,
      endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    env: {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_REGION: REGION,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    pid: server.pid,
    bucket: async (name = `lifeboat-${randomBytes(6).toString('hex')}`) => {
      // s3rver takes unsigned requests, so creating a bucket needs no SDK here.
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!response.ok) throw new Error(`s3rver could not create the bucket ${name}: HTTP ${response.status} ${await response.text()}`);
      return name;
    },
    stop: async () => {
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs in the child. `--openssl-legacy-provider` because s3rver encrypts
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has there:
 * without it every listing of more than 1,000 keys fails.
 */
const CHILD = `
const S3rver = require(process.argv[1]);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] })
  .run()
  .then(({ port }) => process.stdout.write('listening ' + port + '\\n'), (err) => {
    console.error(err);
    process.exit(1);
  });
process.stdin.on('end', () => process.exit(0)).resume();
`;

async function runServer(directory: string): Promise<Server> {
  const main = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, main, directory], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));

  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error('s3rver did not start listening within 15 s')), 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /listening (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`s3rver exited (${signal ?? `code ${code}`}) before listening: ${stderr.trim()}`)));
  });

  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end(); // the child exits on end of input
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
