/** A plan with one redis component, `cache`, backed up to the given fs folders. */
export function redisPlan(opts: { destinations: Record<string, string>; url?: string; fields?: Record<string, unknown> }): string {
  const names = Object.keys(opts.destinations);
  const fields = Object.entries(opts.fields ?? {})
    .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}\n`)
    .join('');
  return `version: 1
name: test
destinations:
${names.map((n) => `  ${n}: { type: fs, path: ${JSON.stringify(opts.destinations[n])} }`).join('\n')}
components:
  cache:
    type: redis
    url: ${opts.url ?? 'env:REDIS_URL'}
    schedule: "0 3 * * *"
    rpo: 24h
    rto: 1h
    destinations: [${names.join(', ')}]
${fields}`;
}

/** `redis://[user]:password@host:port`, for an environment variable (never the plan, never argv). */
export function redisUrl(server: { host: string; port: number }, password?: string, user = ''): string {
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  const auth = password === undefined ? (user ? `${encodeURIComponent(user)}@` : '') : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
  return `redis://${auth}${host}:${server.port}`;
}
