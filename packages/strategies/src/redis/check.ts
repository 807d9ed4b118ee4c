import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RestoreContext } from '@lifeboat/core';
import type { RedisConfig } from './config.js';
import { RdbCheck } from './rdb-check.js';
import { artifactName } from './restore.js';

/** `verify --deep`: the stored RDB's header, CRC64 footer and structure, as redis-check-rdb would judge them. */
export async function checkRedis(ctx: RestoreContext<RedisConfig>): Promise<string> {
  const name = artifactName(ctx);
  const check = new RdbCheck(`${name} of backup ${ctx.manifest.id}`);
  await pipeline(await ctx.open(name), check, new Writable({ write: (_chunk, _enc, cb) => cb() }));
  const { version, checksum, scan } = check.result;
  const keys = scan.state === 'complete' ? Object.values(scan.keys).reduce((a, b) => a + b, 0) : undefined;
  const crc = checksum.state === 'ok' ? 'CRC64 ok' : checksum.state === 'disabled' ? 'checksum disabled on the server' : 'no checksum (RDB < 5)';
  return `${name}: RDB version ${version}, ${crc}${keys === undefined ? '' : `, ${keys} keys`}`;
}
