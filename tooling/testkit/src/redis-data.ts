/**
 * Test data for Redis round trips: keys of every type, in several encodings
 * (small ones as listpacks/intsets, big ones as hash tables, skiplists and
 * multi-node quicklists), with TTLs and in more than one database; and a
 * fingerprint of everything a server holds, to compare source and restore.
 *
 * Both run as Lua inside the server: 100k keys through a client, one command
 * at a time, would cost tens of seconds of round trips on a busy CI machine.
 */

/** What these helpers need of a client on one connection (ioredis's `Redis` has it). */
export interface RedisClient {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  select(db: number): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, secondsToken: 'EX', seconds: number): Promise<unknown>;
  hset(key: string, field: string, value: string): Promise<unknown>;
  info(section: string): Promise<string>;
  scan(cursor: string, countToken: 'COUNT', count: number): Promise<[cursor: string, keys: string[]]>;
}

/** Keys per database that `seedEveryType(client, total)` writes. */
export interface Seeded {
  keys: Record<string, number>;
  expires: Record<string, number>;
  total: number;
}

/**
 * Writes keys `from`..`to`-1 of a layout of `total` keys in tenths: 3 strings
 * (text, integers, compressible text, binary), 1 strings with a TTL, 2 hashes
 * (every 200th with a TTL), 1 lists, 1 sets (intsets and strings), 1 sorted
 * sets, and the rest streams (every 100th with a consumer group and a pending
 * entry). Every 500th container is big. Returns how many keys got a TTL.
 */
const SEED = `
local from, to, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local expiring = 0
for i = from, to - 1 do
  if i < 3 * per then
    local kind = i % 4
    local value
    if kind == 0 then value = 'v' .. i
    elseif kind == 1 then value = tostring(i * 7919)
    elseif kind == 2 then value = string.rep('lorem ipsum ', 40) .. i
    else
      local bytes = {}
      for b = 1, 24 do bytes[b] = string.char(math.random(0, 255)) end
      value = table.concat(bytes)
    end
    redis.call('SET', 's:' .. i, value)
  elseif i < 4 * per then
    redis.call('SET', 'ttl:' .. i, 'expires-' .. i, 'EX', 3600 + i % 100)
    expiring = expiring + 1
  elseif i < 6 * per then
    local args = {'h:' .. i}
    local fields = (i % 500 == 0) and 300 or 5
    for f = 0, fields - 1 do
      args[#args + 1] = 'f' .. f
      args[#args + 1] = (f % 2 == 0) and ('value-' .. i .. '-' .. f) or tostring(f * i)
    end
    redis.call('HSET', unpack(args))
    if i % 200 == 0 then
      redis.call('EXPIRE', 'h:' .. i, 7200)
      expiring = expiring + 1
    end
  elseif i < 7 * per then
    local args = {'l:' .. i}
    for n = 0, ((i % 500 == 0) and 2000 or 4) - 1 do args[#args + 1] = (n % 3 == 0) and tostring(n) or ('item-' .. i .. '-' .. n) end
    redis.call('RPUSH', unpack(args))
  elseif i < 8 * per then
    local args = {'set:' .. i}
    for n = 0, ((i % 500 == 0) and 1000 or 4) - 1 do args[#args + 1] = (i % 2 == 0) and tostring(n * 3 + i) or ('m-' .. i .. '-' .. n) end
    redis.call('SADD', unpack(args))
  elseif i < 9 * per then
    local args = {'z:' .. i}
    for n = 0, ((i % 500 == 0) and 500 or 3) - 1 do
      args[#args + 1] = (n % 2 == 0) and (n * 1.5) or -n
      args[#args + 1] = 'z-' .. i .. '-' .. n
    end
    redis.call('ZADD', unpack(args))
  else
    local key = 'x:' .. i
    redis.call('XADD', key, (1000 + i) .. '-1', 'a', tostring(i), 'b', 'x')
    redis.call('XADD', key, (1000 + i) .. '-2', 'a', tostring(i + 1))
    if i % 100 == 0 then
      redis.call('XGROUP', 'CREATE', key, 'workers', '0')
      redis.call('XREADGROUP', 'GROUP', 'workers', 'c' .. i, 'COUNT', 1, 'STREAMS', key, '>')
    end
  end
end
return expiring
`;

/** For each key: sha1 of its type, absolute expiry, and content in a canonical order. */
const DIGEST = `
local out = {}
local function flat(value)
  if type(value) == 'table' then
    local parts = {}
    for n, v in ipairs(value) do parts[n] = flat(v) end
    return '[' .. table.concat(parts, '\\1') .. ']'
  end
  return tostring(value)
end
for i, key in ipairs(KEYS) do
  local t = redis.call('TYPE', key)['ok']
  local parts = {t, tostring(redis.call('PEXPIRETIME', key))}
  if t == 'string' then parts[3] = redis.call('GET', key)
  elseif t == 'hash' then
    local h, fields = redis.call('HGETALL', key), {}
    for j = 1, #h, 2 do fields[#fields + 1] = h[j] .. '\\0' .. h[j + 1] end
    table.sort(fields)
    parts[3] = table.concat(fields, '\\1')
  elseif t == 'list' then parts[3] = flat(redis.call('LRANGE', key, 0, -1))
  elseif t == 'set' then
    local members = redis.call('SMEMBERS', key)
    table.sort(members)
    parts[3] = table.concat(members, '\\1')
  elseif t == 'zset' then parts[3] = flat(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'))
  elseif t == 'stream' then
    parts[3] = flat(redis.call('XRANGE', key, '-', '+'))
    local groups = redis.call('XINFO', 'GROUPS', key)
    parts[4] = flat(groups)
    -- The summary form: the detailed one holds idle times, which differ by the second.
    if #groups > 0 then parts[5] = flat(redis.call('XPENDING', key, 'workers')) end
  else
    return redis.error_reply('unexpected type ' .. t .. ' of ' .. key)
  end
  out[i] = redis.sha1hex(table.concat(parts, '\\2'))
end
return out
`;

const CHUNK = 10_000;

/** About `total` keys in db0 (see SEED), plus a few in db1 and db5. */
export async function seedEveryType(client: RedisClient, total: number): Promise<Seeded> {
  const per = Math.floor(total / 10);
  let expiring = 0;
  for (let from = 0; from < total; from += CHUNK) {
    expiring += Number(await client.eval(SEED, 0, from, Math.min(from + CHUNK, total), per));
  }
  // Other databases: a restore must bring back every one, not just db0.
  await client.select(1);
  await client.set('other', 'db1');
  await client.hset('other:h', 'a', '1');
  await client.select(5);
  await client.set('five', '5', 'EX', 5000);
  await client.select(0);
  return { keys: { db0: total, db1: 2, db5: 1 }, expires: { db0: expiring, db5: 1 }, total: total + 3 };
}

/** Every key of every database → a digest of its type, content and absolute expiry time. */
export async function fingerprint(client: RedisClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const dbs = [...(await client.info('keyspace')).matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
  for (const db of dbs) {
    await client.select(db);
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 2000);
      cursor = next;
      if (keys.length === 0) continue;
      const digests = (await client.eval(DIGEST, keys.length, ...keys)) as string[];
      keys.forEach((key, n) => out.set(`db${db}:${key}`, digests[n]!));
    } while (cursor !== '0');
  }
  await client.select(0);
  return out;
}

/** Keys whose digests differ or that one side lacks, for a readable failure. */
export function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [key, digest] of a) if (b.get(key) !== digest) diff.push(key);
  for (const key of b.keys()) if (!a.has(key)) diff.push(key);
  return diff.sort();
}
