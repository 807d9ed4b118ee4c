import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, type DoctorCheck, type DoctorContext } from '@lifeboat/core';
import { checkModeFields, type RedisConfig } from './config.js';
import { call, connectClient, redisTarget } from './connection.js';
import { serverFacts } from './facts.js';

/**
 * `lifeboat doctor` for a redis component: the server answers PING with the
 * URL's credentials, and the command the backup needs (SYNC for replica
 * mode, BGSAVE for bgsave) exists there — not renamed away, and allowed to
 * the user where the server lets us ask (ACL DRYRUN). Runs neither.
 */
export async function doctorRedis(ctx: DoctorContext<RedisConfig>): Promise<DoctorCheck[]> {
  const { config, component } = ctx;
  const source = `source ${component}`;
  const field = `components.${component}.url`;
  let target: Awaited<ReturnType<typeof redisTarget>>;
  let client: Awaited<ReturnType<typeof connectClient>>;
  try {
    checkModeFields(config, component);
    target = await redisTarget(await ctx.secrets.resolve(config.url, field), field, { tls: config.tls, planDir: ctx.planDir });
    client = await connectClient(target, config.connectTimeout);
  } catch (err) {
    return [{ level: 'critical', check: source, detail: `${describeError(err)}; fix the server or ${field}` }];
  }
  const checks: DoctorCheck[] = [];
  const command = config.mode === 'bgsave' ? 'BGSAVE' : 'SYNC';
  try {
    await call(client, target, config.connectTimeout, (c) => c.ping());
    const server = serverFacts(await call(client, target, config.connectTimeout, (c) => c.info('server')));
    checks.push({ level: 'ok', check: source, detail: `Redis ${server.redisVersion} at ${target.display} answers PING` });
    const info = await call(client, target, config.connectTimeout, (c) => c.call('COMMAND', 'INFO', command.toLowerCase()) as Promise<unknown[]>);
    if (!Array.isArray(info) || info[0] === null || info[0] === undefined) {
      checks.push({
        level: 'critical',
        check: `${command.toLowerCase()} ${component}`,
        detail: `${target.display} has no ${command} command (renamed or disabled)${config.mode === 'replica' ? '; use mode: bgsave with rdbPath or exec' : '; the backup cannot take a snapshot'}`,
      });
    } else {
      checks.push(await allowed(client, command, target.username ?? 'default', component, target.display));
    }
  } catch (err) {
    checks.push({ level: 'critical', check: source, detail: describeError(err) });
  } finally {
    client.disconnect();
  }
  if (config.mode === 'bgsave' && config.rdbPath) {
    const file = resolve(ctx.planDir, config.rdbPath);
    try {
      await access(file, constants.R_OK);
      checks.push({ level: 'ok', check: `rdbPath ${component}`, detail: `${file} is readable` });
    } catch (err) {
      checks.push({ level: 'critical', check: `rdbPath ${component}`, detail: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? describeError(err)}); fix components.${component}.rdbPath or the permissions` });
    }
  }
  return checks;
}

/** ACL DRYRUN (Redis 7) says whether the user may run the command; a server or user that may not ask leaves it open. */
async function allowed(client: Awaited<ReturnType<typeof connectClient>>, command: string, user: string, component: string, display: string): Promise<DoctorCheck> {
  const check = `${command.toLowerCase()} ${component}`;
  let answer: unknown;
  try {
    answer = await client.call('ACL', 'DRYRUN', user, command);
  } catch (err) {
    return { level: 'ok', check, detail: `${command} exists on ${display} (whether user ${user} may run it could not be asked: ${describeError(err)})` };
  }
  if (answer === 'OK') return { level: 'ok', check, detail: `user ${user} may run ${command} on ${display}` };
  return { level: 'critical', check, detail: `${display} refuses ${command} to user ${user}: ${String(answer)}; grant it (ACL SETUSER ${user} +${command.toLowerCase()})${command === 'SYNC' ? ' or use mode: bgsave' : ''}` };
}
